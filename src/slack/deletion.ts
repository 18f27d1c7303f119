import type { WebClient } from '@slack/web-api';
import { CodeError } from '../codes/errors.js';
import type { InstallCode } from '../codes/model.js';
import type { DecidedRequest, RemovalRequest } from '../store/removal-requests.js';
import type { Request, SlackServices } from './code-actions.js';
import { ADMINS_ONLY_MESSAGE, type Role, roleOf } from './roles.js';
import {
  buildDecision,
  buildDeletePrompt,
  buildRemovalOutcome,
  buildRemovalReasonModal,
  buildRemovalRequest,
  removalOutcomeForRequester,
  removalOutcomeText,
} from './views/deletion.js';
import { slackDate } from './views/format.js';
import { directMessage } from './web-api.js';

/**
 * Removing a code: an admin removes; a staff member asks the admins (with an optional reason),
 * and the first admin to decide wins. Every copy of the request then says who decided what, and
 * the staff member is told by DM.
 */

export async function askToDelete(services: SlackServices, request: Request, code: InstallCode) {
  const role = roleOf(request.userId, services.roles);
  const now = await services.codes.now();
  const text = role === 'admin' ? `Remove ${code.code}?` : `Ask the admins to remove ${code.code}?`;
  await request.reply({ text, blocks: buildDeletePrompt(code, now, role) });
}

/** Where Slack lets us answer a press on the prompt: its trigger, and its response_url if any. */
export interface PromptPress {
  triggerId: string;
  responseUrl: string;
}

/**
 * Remove pressed on the prompt: an admin's press deletes; a staff member's opens the dialog that
 * asks the admins (unless the code already has a pending request, which they are told of).
 */
export async function removeOrRequest(
  services: SlackServices,
  request: Request,
  codeId: string,
  role: Role,
  press: PromptPress,
) {
  const code = await services.codes.findById(codeId);
  if (!code) {
    await request.reply({ text: 'That code is already gone.', replace: true });
    return;
  }
  if (role === 'admin') {
    await services.codes.deleteCode(code, undefined, request.userId);
    await request.reply({
      text: `Removed \`${code.code}\`.`,
      blocks: buildDecision(`:wastebasket: <@${request.userId}> removed \`${code.code}\`.`),
      replace: true,
    });
    await closePendingRequest(services, request, code);
    return;
  }
  const pending = await services.removalRequests.pendingFor(code.id);
  if (pending) {
    await replyPending(request, pending);
    return;
  }
  await request.client.views.open({
    trigger_id: press.triggerId,
    view: buildRemovalReasonModal(code, { codeId: code.id, responseUrl: press.responseUrl }),
  });
}

/** The staff member confirmed in the dialog: the request goes to the admins' channel or DMs. */
export async function requestRemoval(
  services: SlackServices,
  request: Request,
  codeId: string,
  reason: string,
) {
  const code = await services.codes.findById(codeId);
  if (!code) {
    await request.reply({ text: 'That code is already gone.', replace: true });
    return;
  }
  // Before the request is recorded: with no admin to ask, nothing is left pending.
  const conversations = await adminConversations(services, request.client);
  const opened = await services.removalRequests.open({
    codeId: code.id,
    code: code.code,
    requestedBy: request.userId,
    reason,
  });
  if (!opened.opened) {
    if (opened.pending) await replyPending(request, opened.pending);
    else await request.reply({ text: 'The admins were just asked about this code.' });
    return;
  }
  await services.home.changed();
  await postCopies(services, request.client, opened.request, code, conversations);
  await request.reply({
    text: `Asked the admins to remove \`${code.code}\`.`,
    blocks: buildDecision(
      `:hourglass: You asked the admins to remove \`${code.code}\`. I will tell you by direct message when one of them decides.`,
    ),
    replace: true,
  });
}

function replyPending(request: Request, pending: RemovalRequest) {
  const who = pending.requestedBy === request.userId ? 'You' : `<@${pending.requestedBy}>`;
  return request.reply({
    text: `${who} already asked the admins to remove \`${pending.code}\` ${slackDate(pending.at)}; they have not decided yet.`,
    replace: true,
  });
}

/**
 * One copy per admin conversation, each recorded; a copy posted after the decision is updated at
 * once. One admin who cannot be reached does not stop the others; if none can, the request is
 * withdrawn (it may be asked again) and the failure reported.
 */
async function postCopies(
  services: SlackServices,
  client: WebClient,
  request: RemovalRequest,
  code: InstallCode,
  conversations: string[],
) {
  const blocks = buildRemovalRequest(request, code, await services.codes.now());
  const text = `<@${request.requestedBy}> asks to remove ${code.code}`;
  let failure: unknown = null;
  let posted = 0;
  for (const channel of conversations) {
    try {
      const message = await client.chat.postMessage({ channel, text, blocks });
      if (!message.ts) continue;
      posted += 1;
      const copy = { channel, ts: message.ts };
      const decided = await services.removalRequests.addCopy(request.id, copy);
      if (decided) await updateCopies(client, { ...request, decided }, [copy]);
    } catch (error) {
      failure ??= error;
    }
  }
  if (posted > 0) return;
  await services.removalRequests.withdraw(request);
  await services.home.changed();
  throw failure ?? new Error('chat.postMessage gave no ts');
}

async function adminConversations(services: SlackServices, client: WebClient): Promise<string[]> {
  if (services.adminChannelId) return [services.adminChannelId];
  const channels: string[] = [];
  for (const admin of services.roles.admins) {
    const dm = await client.conversations.open({ users: admin });
    if (dm.channel?.id) channels.push(dm.channel.id);
  }
  if (channels.length === 0)
    throw new CodeError('unavailable', 'No admin is configured (ADMIN_USER_IDS) to decide.');
  return channels;
}

/** A press on Remove code / Keep code: where it came from, to answer there. */
export interface DecisionPress extends Request {
  /** The message pressed on, when it is a message (not the App Home). */
  message: { channel: string; ts: string } | null;
}

/**
 * An admin's decision on a request, from any message that carries its ID. The first decision
 * wins; a later press changes nothing and is told who decided. Anyone else is refused.
 */
export async function decideRequest(
  services: SlackServices,
  press: DecisionPress,
  requestId: string,
  remove: boolean,
) {
  if (roleOf(press.userId, services.roles) !== 'admin') {
    await tellPresser(press, ADMINS_ONLY_MESSAGE);
    return;
  }
  const known = await services.removalRequests.get(requestId);
  const code = known && (await services.codes.findById(known.codeId));
  const decision = !code ? 'gone' : remove ? 'removed' : 'kept';
  const result = await services.removalRequests.decide(requestId, decision, press.userId);
  if (result.outcome === 'missing') {
    await tellPresser(press, 'This removal request is no longer on record: nothing was changed.');
    return;
  }
  const decided = result.request;
  if (result.outcome === 'lost') {
    await tellPresser(press, `Already decided: ${removalOutcomeText(decided)}`);
    if (press.message) await updateCopies(press.client, decided, [press.message]);
    return;
  }
  if (code && decision === 'removed') await removeDecided(services, decided, code);
  await announceDecision(services, press.client, decided);
}

/**
 * Every copy says who decided what, and the requester is told by DM, even if a copy fails; the
 * admins' App Homes drop the request.
 */
async function announceDecision(
  services: SlackServices,
  client: WebClient,
  decided: DecidedRequest,
) {
  await services.home.changed();
  const told = await Promise.allSettled([
    updateCopies(client, decided, decided.copies),
    directMessage(client, decided.requestedBy, { text: removalOutcomeForRequester(decided) }),
  ]);
  const failed = told.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** An admin removed a code someone had asked about: that request is decided, as removed. */
async function closePendingRequest(services: SlackServices, request: Request, code: InstallCode) {
  const pending = await services.removalRequests.pendingFor(code.id);
  if (!pending) return;
  const result = await services.removalRequests.decide(pending.id, 'removed', request.userId);
  if (result.outcome === 'won') await announceDecision(services, request.client, result.request);
}

/** Carries out a won Remove; should it fail, the request is pending again and the admin told. */
async function removeDecided(services: SlackServices, request: DecidedRequest, code: InstallCode) {
  try {
    await services.codes.deleteCode(code, undefined, request.decided.by);
  } catch (error) {
    // Removed meanwhile by someone else: gone, as decided.
    if (error instanceof CodeError && error.kind === 'code_not_found') return;
    await services.removalRequests.reopen(request).catch(() => undefined);
    await services.home.changed();
    throw error;
  }
}

async function updateCopies(
  client: WebClient,
  request: DecidedRequest,
  copies: readonly { channel: string; ts: string }[],
) {
  const text = removalOutcomeText(request);
  const blocks = buildRemovalOutcome(request);
  // Every copy is tried, even when one fails (a deleted message, say).
  const results = await Promise.allSettled(
    copies.map((copy) => client.chat.update({ channel: copy.channel, ts: copy.ts, text, blocks })),
  );
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}

function tellPresser(press: DecisionPress, text: string) {
  if (!press.message) return press.reply({ text });
  return press.client.chat
    .postEphemeral({ channel: press.message.channel, user: press.userId, text })
    .then(() => undefined);
}
