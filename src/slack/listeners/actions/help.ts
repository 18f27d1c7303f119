import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { openEditor, replyWithList } from '../../code-actions.js';
import { ACTIONS } from '../../ids.js';
import { FIRST_PAGE } from '../../views/code-list.js';
import { answerFailures, type ListenerDeps, requestFrom } from '../context.js';
import { staffOnly } from '../guards.js';

type ActionArgs = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>;

function requestOf({ body, client, respond }: ActionArgs) {
  const channelId = body.channel?.id ?? null;
  return requestFrom(client, body.user.id, channelId, respond, Boolean(body.response_url));
}

/** Create on the help: the editor, opened with the press's trigger_id. */
function createFromHelp(deps: ListenerDeps) {
  return async (args: ActionArgs) => {
    await args.ack();
    const request = requestOf(args);
    await answerFailures(deps, request, () => openEditor(request, args.body.trigger_id, null));
  };
}

/** List on the help: the first page, as `/installcode list` answers. */
function listFromHelp(deps: ListenerDeps) {
  return async (args: ActionArgs) => {
    await args.ack();
    const request = requestOf(args);
    await answerFailures(deps, request, () =>
      replyWithList(deps.services, request, FIRST_PAGE(''), false),
    );
  };
}

export function registerHelpActions(app: App, deps: ListenerDeps) {
  app.action(ACTIONS.helpCreate, staffOnly(deps), createFromHelp(deps));
  app.action(ACTIONS.helpList, staffOnly(deps), listFromHelp(deps));
}
