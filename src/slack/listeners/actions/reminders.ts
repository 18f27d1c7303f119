import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ACTIONS } from '../../ids.js';
import { answerFailures, type ListenerDeps, requestFrom } from '../context.js';
import { staffOnly } from '../guards.js';

type ActionArgs = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>;

/** "Mute reminders" under a reminder: no more reminders of that code, for anyone. */
function mute(deps: ListenerDeps) {
  return async (args: ActionArgs) => {
    await args.ack();
    const { body, client, respond } = args;
    const userId = body.user.id;
    const request = requestFrom(
      client,
      userId,
      body.channel?.id ?? null,
      respond,
      Boolean(body.response_url),
    );
    const id = (args.action as { value?: string }).value ?? '';
    await answerFailures(deps, request, async () => {
      const code = await deps.services.reminders.mute(id, userId);
      await request.reply({
        text: `:no_bell: <@${userId}> muted the reminders of \`${code.code}\`.`,
        replace: true,
      });
    });
  };
}

export function registerReminderActions(app: App, deps: ListenerDeps) {
  app.action(ACTIONS.muteReminders, staffOnly(deps), mute(deps));
}
