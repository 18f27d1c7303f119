import type { AllMiddlewareArgs, App, SlackCommandMiddlewareArgs } from '@slack/bolt';
import { CodeError } from '../../../codes/errors.js';
import type { InstallCode } from '../../../codes/model.js';
import { openEditor, type Request, replyWithList, type SlackServices } from '../../code-actions.js';
import { doToCode } from '../../code-verbs.js';
import { parseCommand, unreachable } from '../../command-text.js';
import { COMMAND } from '../../ids.js';
import { FIRST_PAGE } from '../../views/code-list.js';
import { buildCodePicker, type PickerTarget, pickerText } from '../../views/code-picker.js';
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
        case 'qr':
        case 'share':
        case 'delete':
        case 'history': {
          const target = { verb: parsed.name, channelId: parsed.channelId };
          const code = await codeOrPicker(services, request, target, parsed.code);
          if (code) await doToCode(services, request, target, code, command.trigger_id);
          return;
        }
        default:
          return unreachable(parsed);
      }
    });
  };
}

/**
 * The code the command named; without one, or when it does not exist, the person is asked to
 * pick one instead (and null is returned).
 */
async function codeOrPicker(
  services: SlackServices,
  request: Request,
  target: PickerTarget,
  text: string | null,
): Promise<InstallCode | null> {
  if (text !== null) {
    try {
      return await services.codes.getCode(text);
    } catch (error) {
      if (!(error instanceof CodeError && error.kind === 'code_not_found')) throw error;
    }
  }
  await request.reply({
    text: pickerText(target, text),
    blocks: buildCodePicker(target, text),
  });
  return null;
}

export function registerCommands(app: App, deps: ListenerDeps) {
  app.command(COMMAND, staffOnly(deps), installcodeCommand(deps));
}
