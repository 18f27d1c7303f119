import type { KnownBlock } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { generateCode } from '../codes/code-text.js';
import { statusAt } from '../codes/lifetime.js';
import type { InstallCode } from '../codes/model.js';
import { installUrl, renderQrPng } from '../codes/qr.js';
import type { EventClaims } from '../store/event-claims.js';
import type { RemovalRequests } from '../store/removal-requests.js';
import type { CodeService } from '../use-cases/code-service.js';
import type { AppHome } from './app-home.js';
import { blankDraft, draftOf, type EditorContext, settingsOf } from './editor-form.js';
import type { LiveCards } from './live-cards.js';
import type { Reminders } from './reminders.js';
import type { RoleConfig } from './roles.js';
import { isUsable, qrAltText } from './views/channel-card.js';
import { qrComment } from './views/code-card.js';
import { buildCodeList, LIST_PAGE_SIZE, type ListPosition } from './views/code-list.js';
import { buildEditorModal } from './views/editor-modal.js';
import { STATUS_LABEL } from './views/format.js';
import { buildHistory } from './views/history.js';
import { slackErrorOf } from './web-api.js';

/** A message back to the person who asked: ephemeral in the conversation, or a DM from the App Home. */
export interface ReplyMessage {
  text: string;
  blocks?: KnownBlock[];
  /** Replace the message whose button was pressed (list paging, decisions). */
  replace?: boolean;
}
export type Reply = (message: ReplyMessage) => Promise<void>;

export interface SlackServices {
  codes: CodeService;
  /** Shared cards, kept true as their codes change. */
  cards: LiveCards;
  /** The App Home dashboard, kept fresh for those who have it open. */
  home: AppHome;
  /** Reminders before codes stop working. */
  reminders: Reminders;
  eventClaims: EventClaims;
  removalRequests: RemovalRequests;
  roles: RoleConfig;
  adminChannelId: string | undefined;
  installUrlTemplate: string;
}

/** What one person asked for, wherever they asked: the operations below serve commands and buttons alike. */
export interface Request {
  client: WebClient;
  userId: string;
  reply: Reply;
  /** The conversation the request came from, when there is one. */
  channelId: string | null;
}

export async function openEditor(
  request: Request,
  triggerId: string,
  code: InstallCode | null,
): Promise<void> {
  const context: EditorContext = {
    id: code?.id ?? null,
    version: code?.version ?? null,
    channelId: request.channelId,
    generation: 0,
    // A new code holds the defaults of no action yet; an edit remembers what it showed.
    ...(code ? { seen: settingsOf(code) } : { defaultsOf: null }),
  };
  const draft = code ? draftOf(code) : blankDraft(generateCode());
  await request.client.views.open({
    trigger_id: triggerId,
    view: buildEditorModal(draft, context),
  });
}

export async function replyWithList(
  services: SlackServices,
  request: Request,
  position: ListPosition,
  replace: boolean,
) {
  const cursor = position.cursors.at(-1) || null;
  const [page, now] = await Promise.all([
    services.codes.listCodes({ limit: LIST_PAGE_SIZE, cursor, q: position.q || null }),
    services.codes.now(),
  ]);
  const text = page.codes.length
    ? `${page.codes.length} installation codes`
    : 'No installation codes';
  await request.reply({
    text,
    blocks: buildCodeList(page.codes, now, position, page.nextCursor),
    replace,
  });
}

/** The QR pop-up: the PNG goes into the requester's own DM with the app, never a shared channel. */
export async function sendQrToRequester(
  services: SlackServices,
  request: Request,
  code: InstallCode,
) {
  const dm = await request.client.conversations.open({ users: request.userId });
  const channelId = dm.channel?.id;
  if (!channelId) throw new Error('conversations.open gave no channel');
  await uploadQr(
    services,
    request.client,
    channelId,
    code,
    qrComment(code, await services.codes.now()),
  );
  // From the App Home (no conversation) the upload in the DM says it all.
  if (request.channelId && request.channelId !== channelId) {
    await request.reply({
      text: `I sent you the QR code of \`${code.code}\` in a direct message.`,
    });
  }
}

/** Posts the code's card and its QR image, as one uploaded PNG, into a channel. */
/**
 * Posts the code's card, with its QR image, into a channel; the card then follows the code
 * (LiveCards). A code that no longer works is not shared.
 */
export async function shareCode(
  services: SlackServices,
  request: Request,
  code: InstallCode,
  channelId: string,
) {
  const now = await services.codes.now();
  if (!isUsable(code, now)) {
    const status = statusAt(code, now);
    const remedy =
      status === 'disabled' ? 'Enable it first' : 'Edit or extend it first if it should work again';
    await request.reply({
      text: `\`${code.code}\` no longer works (${STATUS_LABEL[status]}): there is nothing to share. ${remedy}.`,
    });
    return;
  }
  try {
    await services.cards.share(code, channelId, request.userId);
  } catch (error) {
    const slackError = slackErrorOf(error);
    if (slackError === 'not_in_channel' || slackError === 'channel_not_found') {
      await request.reply({
        text: `I can't post in <#${channelId}>. Invite me there first: \`/invite @installcode\`.`,
      });
      return;
    }
    throw error;
  }
  await services.codes.addHistory(code, { by: request.userId, type: 'shared', channel: channelId });
  if (request.channelId !== channelId)
    await request.reply({ text: `Shared \`${code.code}\` in <#${channelId}>.` });
}

/** The QR pop-up's upload, into the requester's DM. */
async function uploadQr(
  services: SlackServices,
  client: WebClient,
  channelId: string,
  code: InstallCode,
  comment: string,
) {
  const png = await renderQrPng(installUrl(services.installUrlTemplate, code.code));
  await client.files.uploadV2({
    channel_id: channelId,
    file: png,
    filename: `installcode-${code.code}.png`,
    title: `QR code ${code.code}`,
    alt_text: qrAltText(code),
    initial_comment: comment,
  });
}

export async function replyWithHistory(
  services: SlackServices,
  request: Request,
  code: InstallCode,
) {
  const events = await services.codes.history(code);
  await request.reply({ text: `History of ${code.code}`, blocks: buildHistory(code, events) });
}
