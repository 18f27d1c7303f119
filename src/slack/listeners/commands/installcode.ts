import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import {
  openEditor,
  replyWithHistory,
  replyWithList,
  sendQrToRequester,
  shareCode,
} from '../../code-actions.js';
import { parseCommand, unreachable } from '../../command-text.js';
import { askToDelete } from '../../deletion.js';
import { COMMAND } from '../../ids.js';
import { FIRST_PAGE } from '../../views/code-list.js';
import { buildHelp, HELP_TEXT } from '../../views/help.js';
import { answerFailures, ephemeralReply, type ListenerDeps } from '../context.js';
import { staffOnly } from '../guards.js';

/** `/installcode …`: acknowledged at once; the work and its answer follow through the response_url. */
export function installcodeCommand(deps: ListenerDeps) {
  const { services } = deps;
  return async ({
    ack,
    command,
    respond,
    client,
  }: AllMiddlewareArgs & SlackCommandMiddlewareArgs) => {
    await ack();
    const request = {
      client,
      userId: command.user_id,
      channelId: command.channel_id,
      reply: ephemeralReply(respond),
    };
    const parsed = parseCommand(command.text);
    await answerFailures(deps, request, async () => {
      switch (parsed.name) {
        case 'help': {
          const blocks = buildHelp();
          if (parsed.problem)
            blocks.unshift({ type: 'section', text: { type: 'mrkdwn', text: parsed.problem } });
          return request.reply({ text: parsed.problem ?? HELP_TEXT, blocks });
        }
        case 'add':
          return openEditor(request, command.trigger_id, null);
        case 'list':
          return replyWithList(services, request, FIRST_PAGE(parsed.filter), false);
        case 'edit':
          return openEditor(request, command.trigger_id, await services.codes.getCode(parsed.code));
        case 'qr':
          return sendQrToRequester(services, request, await services.codes.getCode(parsed.code));
        case 'share': {
          const code = await services.codes.getCode(parsed.code);
          return shareCode(services, request, code, parsed.channelId ?? command.channel_id);
        }
        case 'delete':
          return askToDelete(services, request, await services.codes.getCode(parsed.code));
        case 'history':
          return replyWithHistory(services, request, await services.codes.getCode(parsed.code));
        default:
          return unreachable(parsed);
      }
    });
  };
}

export function registerCommands(app: App, deps: ListenerDeps) {
  app.command(COMMAND, staffOnly(deps), installcodeCommand(deps));
}
