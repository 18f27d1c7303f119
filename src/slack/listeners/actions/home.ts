import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { HomeChoice } from '../../../store/home-views.js';
import { homeChoices } from '../../app-home.js';
import { ACTIONS } from '../../ids.js';
import { answerFailures, type ListenerDeps, requestFrom } from '../context.js';
import { staffOnly } from '../guards.js';

type ActionArgs = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>;
type Change = (choice: HomeChoice) => HomeChoice;

function selected(args: ActionArgs): string {
  const action = args.action as { value?: string; selected_option?: { value: string } };
  return action.selected_option?.value ?? action.value ?? '';
}

/** A control of the App Home dashboard: the choice changes and the Home is published again. */
function control(deps: ListenerDeps, changeOf: (value: string) => Change) {
  return async (args: ActionArgs) => {
    await args.ack();
    const userId = args.body.user.id;
    // The App Home has no response_url: a failure is told by DM.
    const request = requestFrom(args.client, userId, null, undefined, false);
    await answerFailures(deps, request, () =>
      deps.services.home.choose(userId, changeOf(selected(args))),
    );
  };
}

export function registerHomeActions(app: App, deps: ListenerDeps) {
  app.action(
    ACTIONS.homeMine,
    staffOnly(deps),
    control(deps, () => homeChoices.scope('mine')),
  );
  app.action(
    ACTIONS.homeAll,
    staffOnly(deps),
    control(deps, () => homeChoices.scope('all')),
  );
  app.action(ACTIONS.homeStatus, staffOnly(deps), control(deps, homeChoices.status));
  app.action(ACTIONS.homeNext, staffOnly(deps), control(deps, homeChoices.next));
  app.action(
    ACTIONS.homePrevious,
    staffOnly(deps),
    control(deps, () => homeChoices.previous()),
  );
}
