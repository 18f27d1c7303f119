import type { AllMiddlewareArgs, App, BlockAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { InstallCode } from '../../../codes/model.js';
import {
  openEditor,
  replyWithHistory,
  replyWithList,
  sendQrToRequester,
} from '../../code-actions.js';
import { askToDelete, decideRequest, removeOrRequest } from '../../deletion.js';
import {
  ACTIONS,
  CODE_MENU_VERBS,
  type CodeMenuVerb,
  LIFECYCLE_VERBS,
  type LifecycleVerb,
} from '../../ids.js';
import { MalformedPayload } from '../../payload.js';
import { OUTSIDER_MESSAGE, roleOf } from '../../roles.js';
import { decodePosition } from '../../views/code-list.js';
import { escapeMrkdwn, slackDate } from '../../views/format.js';
import { buildShareModal } from '../../views/share-modal.js';
import { answerFailures, type ListenerDeps, requestFrom } from '../context.js';
import { staffOnly } from '../guards.js';

type ActionArgs = AllMiddlewareArgs & SlackActionMiddlewareArgs<BlockAction>;

/** The request behind a button: replies go to its response_url, or by DM from the App Home. */
function requestOf({ body, client, respond }: ActionArgs) {
  return requestFrom(
    client,
    body.user.id,
    body.channel?.id ?? null,
    respond,
    Boolean(body.response_url),
  );
}

function actionValue(args: ActionArgs): string {
  const action = args.action as { value?: string; selected_option?: { value: string } };
  return action.selected_option?.value ?? action.value ?? '';
}

/** Show QR, Edit, Share, History or Delete, from a code's menu in the list or the App Home. */
function codeMenu(deps: ListenerDeps) {
  const { services } = deps;
  return async (args: ActionArgs) => {
    await args.ack();
    const request = requestOf(args);
    const [verb, id = ''] = actionValue(args).split(':') as [CodeMenuVerb, string?];
    await answerFailures(deps, request, async () => {
      if (!CODE_MENU_VERBS.includes(verb)) return;
      const code = await services.codes.getById(id);
      switch (verb) {
        case 'qr':
          return sendQrToRequester(services, request, code);
        case 'edit':
          return openEditor(request, args.body.trigger_id, code);
        case 'share':
          // Always asked where, the conversation it came from chosen already: one press posts.
          await args.client.views.open({
            trigger_id: args.body.trigger_id,
            view: buildShareModal(code, request.channelId),
          });
          return;
        case 'history':
          return replyWithHistory(services, request, code);
        case 'delete':
          return askToDelete(services, request, code);
      }
    });
  };
}

/** The verb of a lifecycle button, from its action ID `code_life.<verb>`. */
function lifecycleVerbOf(args: ActionArgs): LifecycleVerb {
  const verb = (args.action as { action_id: string }).action_id.split('.')[1];
  if (!LIFECYCLE_VERBS.includes(verb as LifecycleVerb)) {
    throw new MalformedPayload('the button was not one of ours');
  }
  return verb as LifecycleVerb;
}

const EXTENSIONS = {
  days7: { days: 7 },
  days30: { days: 30 },
  uses10: { uses: 10 },
} as const;

/**
 * Disable, Enable, +7 days, +30 days or +10 uses under a code in the list or the App Home: one
 * press changes it (the cards, the Home and the history follow through the service), and the
 * person is told what it is now.
 */
function lifecycle(deps: ListenerDeps) {
  const { codes } = deps.services;
  return async (args: ActionArgs) => {
    await args.ack();
    const request = requestOf(args);
    await answerFailures(deps, request, async () => {
      const verb = lifecycleVerbOf(args);
      const code = await codes.getById(actionValue(args));
      const changed =
        verb === 'disable' || verb === 'enable'
          ? await codes.updateCode(code, { enabled: verb === 'enable' }, request.userId)
          : await codes.extendCode(code, EXTENSIONS[verb], request.userId);
      await request.reply({ text: lifecycleText(verb, changed) });
    });
  };
}

function lifecycleText(verb: LifecycleVerb, code: InstallCode): string {
  const name = `\`${escapeMrkdwn(code.code)}\``;
  switch (verb) {
    case 'disable':
      return `Disabled ${name}: it is refused until enabled again, and its shared cards no longer show it.`;
    case 'enable':
      return `Enabled ${name} again.`;
    case 'uses10':
      return `Extended ${name}: it can now be used ${code.usageLimit} times in all (${code.timesUsed} so far).`;
    default:
      return `Extended ${name}: it now expires ${slackDate(code.expiresAt)}.`;
  }
}

function listPage(deps: ListenerDeps) {
  return async (args: ActionArgs) => {
    await args.ack();
    const request = requestOf(args);
    await answerFailures(deps, request, () =>
      replyWithList(deps.services, request, decodePosition(actionValue(args)), true),
    );
  };
}

function removeOnPrompt(deps: ListenerDeps) {
  return async (args: ActionArgs) => {
    await args.ack();
    const request = requestOf(args);
    const role = roleOf(request.userId, deps.services.roles);
    await answerFailures(deps, request, () =>
      role === 'outsider'
        ? request.reply({ text: OUTSIDER_MESSAGE })
        : removeOrRequest(deps.services, request, actionValue(args), role, {
            triggerId: args.body.trigger_id,
            responseUrl: args.body.response_url ?? '',
          }),
    );
  };
}

function cancelOnPrompt(deps: ListenerDeps) {
  return async (args: ActionArgs) => {
    await args.ack();
    const request = requestOf(args);
    await answerFailures(deps, request, () =>
      request.reply({ text: 'Cancelled: nothing was removed.', replace: true }),
    );
  };
}

/**
 * Remove code or Keep code on a removal request, from the admins' channel, their DMs or any other
 * message with these buttons (the App Home): decided by the admin who presses.
 */
function decide(deps: ListenerDeps, remove: boolean) {
  return async (args: ActionArgs) => {
    await args.ack();
    const request = requestOf(args);
    const channel = args.body.channel?.id;
    const ts = args.body.message?.ts;
    const message = channel && ts ? { channel, ts } : null;
    await answerFailures(deps, request, () => {
      const requestId = actionValue(args);
      if (!/^[\w-]{1,64}$/.test(requestId)) {
        throw new MalformedPayload('the button’s value was garbled');
      }
      return decideRequest(deps.services, { ...request, message }, requestId, remove);
    });
  };
}

export function registerCodeActions(app: App, deps: ListenerDeps) {
  app.action(ACTIONS.codeMenu, staffOnly(deps), codeMenu(deps));
  app.action(ACTIONS.codeButton, staffOnly(deps), codeMenu(deps));
  app.action(ACTIONS.codeLifecycle, staffOnly(deps), lifecycle(deps));
  app.action(ACTIONS.listPrevious, staffOnly(deps), listPage(deps));
  app.action(ACTIONS.listNext, staffOnly(deps), listPage(deps));
  app.action(ACTIONS.homeCreate, staffOnly(deps), async (args: ActionArgs) => {
    await args.ack();
    const request = requestOf(args);
    await answerFailures(deps, request, () => openEditor(request, args.body.trigger_id, null));
  });
  app.action(ACTIONS.deleteRemove, removeOnPrompt(deps));
  app.action(ACTIONS.deleteCancel, cancelOnPrompt(deps));
  // Not behind staffOnly: an outsider pressing an admin's button is told so by decideRequest.
  app.action(ACTIONS.adminRemove, decide(deps, true));
  app.action(ACTIONS.adminCancel, decide(deps, false));
}
