import type { WebClient } from '@slack/web-api';
import { usableUntil } from '../codes/lifetime.js';
import type { InstallCode } from '../codes/model.js';
import { installUrl, renderQrPng } from '../codes/qr.js';
import type { Logger } from '../log.js';
import type { Schedule } from '../store/schedule.js';
import type { CardQr, CardRemoval, SharedCard, SharedCards } from '../store/shared-cards.js';
import type { CodeChange, CodeService } from '../use-cases/code-service.js';
import { buildChannelCard, type ChannelCard, isUsable, qrAltText } from './views/channel-card.js';
import { shownDigest, slackErrorOf } from './web-api.js';

/** The schedule's task kind: `card:<record ID>` refreshes every card of that code. */
export const CARD_TASK = 'card';

/**
 * While a shared code can be used, its cards are looked at this often: counts and the turn to
 * "expired" or "used up" show within this (plus the schedule's poll), without any work on the
 * redemption path. A card whose text would not change is not updated, so a busy code's card
 * gets at most one chat.update (Slack's Tier 3) per period: throttled and coalesced, not dropped.
 */
export const CARD_CHECK_EVERY_MS = 30_000;

/** Waits for Slack to finish processing a new upload before a message can show it. */
const FILE_READY_WAITS_MS = [250, 500, 1_000, 2_000, 4_000];

/** Slack's answers meaning the message can no longer be updated: the card is forgotten. */
const CARD_GONE = new Set([
  'message_not_found',
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'cant_update_message',
]);
const FILE_GONE = new Set(['file_not_found', 'file_deleted']);

/**
 * Cards that stay true. A shared code's card is an ordinary message (chat.postMessage) whose
 * QR is an image block showing a private upload of the bot (`slack_file`), not a file share:
 * so the app knows the message's ts, can rewrite all of it with chat.update, and can withdraw
 * the QR (update the card without it, then files.delete the image) when the code stops working.
 * See the README, "Shared cards", for why not a file-share message.
 */
export class LiveCards {
  constructor(
    private readonly codes: CodeService,
    private readonly cards: SharedCards,
    private readonly schedule: Schedule,
    private readonly client: WebClient,
    private readonly installUrlTemplate: string,
    private readonly logger: Logger,
    private readonly checkEveryMs = CARD_CHECK_EVERY_MS,
  ) {
    schedule.handle(CARD_TASK, (id, now) => this.refresh(id, now));
  }

  /** The channels a code's cards are in. */
  channelsOf(id: string): Promise<string[]> {
    return this.cards.channelsOf(id);
  }

  /** After a person's change: the code's cards are refreshed at once (no-op when it has none). */
  async changed(change: CodeChange): Promise<void> {
    // A new code has no cards yet (those of an earlier code of its name stay as they are).
    if (change.kind === 'created') return;
    try {
      if (change.kind === 'deleted') {
        await this.cards.noteRemoval(change.id, { by: change.by, at: change.at });
      }
      await this.schedule.now(CARD_TASK, change.id);
    } catch (error) {
      // The periodic check still comes (a live code's card is checked every 30 s).
      this.logger.warn({ err: (error as Error).message }, 'could not schedule a card refresh');
    }
  }

  /**
   * Posts the code's card into a channel, and remembers it. Throws Slack's refusal
   * (`not_in_channel`, say) with nothing left behind.
   */
  async share(code: InstallCode, channel: string, sharedBy: string): Promise<void> {
    const now = await this.codes.now();
    const { qr: known } = await this.cards.of(code.id);
    const qr = known?.code === code.code ? known : await this.uploadQr(code);
    const card: SharedCard = {
      channel,
      ts: '',
      sharedBy,
      sharedAt: now,
      codeCreatedAt: code.createdAt,
    };
    const shown = this.render(code, now, card, qr.fileId, null);
    let ts: string;
    try {
      const posted = await this.whenFileReady(() =>
        this.client.chat.postMessage({ channel, text: shown.text, blocks: shown.blocks }),
      );
      ts = String(posted.ts);
    } catch (error) {
      if (qr !== known) await this.deleteFile(qr.fileId);
      throw error;
    }
    const added = { ...card, ts, shown: shownDigest(shown) };
    await this.cards.add(code.id, added, qr, this.codes.removalInstant(code));
    if (known && known !== qr) await this.deleteFile(known.fileId);
    // Checked at once: a change made while the card was being posted shows on it.
    await this.schedule.now(CARD_TASK, code.id);
  }

  /**
   * Makes every card of a code show it as it stands; answers when to look again (null: the code
   * no longer works, and only a change by a person can bring it back).
   */
  async refresh(id: string, now: number): Promise<number | null> {
    const [code, shared] = await Promise.all([this.codes.findById(id), this.cards.of(id)]);
    const usable = code !== null && isUsable(code, now);
    if (shared.cards.length === 0) {
      if (shared.qr) await this.withdrawQr(id, shared.qr);
      return null;
    }
    // A new QR first (renamed, or back in use), remembered before any card shows it.
    let qr = usable ? shared.qr : null;
    if (usable && qr?.code !== code.code) {
      qr = await this.uploadQr(code);
      await this.cards.setQr(id, qr);
    }
    for (const card of shared.cards) {
      // A card of an earlier code of the same name shows that code as removed.
      const same = code?.createdAt === card.codeCreatedAt;
      const shown = this.render(same ? code : null, now, card, qr?.fileId ?? null, shared.removal);
      await this.show(id, card, shown);
    }
    // Then the old one goes, once no card shows it.
    if (shared.qr && shared.qr.fileId !== qr?.fileId) {
      await this.deleteFile(shared.qr.fileId);
      if (!qr) await this.cards.setQr(id, null);
    }
    if (code) await this.cards.keepUntil(id, this.codes.removalInstant(code));
    return usable ? this.nextLook(code, now) : null;
  }

  /** The next check of a usable code's cards: the period, or the instant it stops working if sooner. */
  private nextLook(code: InstallCode, now: number): number {
    return Math.min(now + this.checkEveryMs, usableUntil(code) ?? Number.POSITIVE_INFINITY);
  }

  private render(
    code: InstallCode | null,
    now: number,
    card: SharedCard,
    qrFileId: string | null,
    removal: CardRemoval | null,
  ): ChannelCard {
    const page = code ? installUrl(this.installUrlTemplate, code.code) : '';
    return buildChannelCard({
      code,
      now,
      sharedBy: card.sharedBy,
      qrFileId,
      removal,
      installPage: page.startsWith('https://') ? page : null,
    });
  }

  /** Updates one card if what it shows would change; forgets it if its message is gone. */
  private async show(id: string, card: SharedCard, shown: ChannelCard): Promise<void> {
    const digest = shownDigest(shown);
    if (card.shown === digest) return;
    try {
      await this.whenFileReady(() =>
        this.client.chat.update({
          channel: card.channel,
          ts: card.ts,
          text: shown.text,
          blocks: shown.blocks,
        }),
      );
    } catch (error) {
      if (!CARD_GONE.has(slackErrorOf(error) ?? '')) throw error;
      await this.cards.drop(id, card);
      return;
    }
    await this.cards.setShown(id, card, digest);
  }

  /** The QR of a code as a private file of the bot (shared nowhere itself; cards show it). */
  private async uploadQr(code: InstallCode): Promise<CardQr> {
    const png = await renderQrPng(installUrl(this.installUrlTemplate, code.code));
    const result = (await this.client.files.uploadV2({
      file: png,
      filename: `installcode-${code.id.slice(0, 4)}.png`,
      title: 'Installation code QR',
      alt_text: qrAltText(code),
    })) as { files?: { files?: { id?: string }[] }[] };
    const fileId = result.files?.[0]?.files?.[0]?.id;
    if (!fileId) throw new Error('files.uploadV2 gave no file ID');
    return { fileId, code: code.code };
  }

  private async withdrawQr(id: string, qr: CardQr): Promise<void> {
    await this.deleteFile(qr.fileId);
    await this.cards.setQr(id, null);
  }

  private async deleteFile(fileId: string): Promise<void> {
    try {
      await this.client.files.delete({ file: fileId });
    } catch (error) {
      if (!FILE_GONE.has(slackErrorOf(error) ?? '')) throw error;
    }
  }

  /**
   * Slack processes an upload after it completes: a message showing it before then is refused
   * (`invalid_blocks`, "invalid slack file"). Tries again a few times, ~8 s in all.
   */
  private async whenFileReady<T>(post: () => Promise<T>): Promise<T> {
    for (const wait of FILE_READY_WAITS_MS) {
      try {
        return await post();
      } catch (error) {
        if (!refusesFile(error)) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
    return post();
  }
}

function refusesFile(error: unknown): boolean {
  const data = (error as { data?: { error?: string; errors?: unknown } }).data;
  return (
    data?.error === 'invalid_blocks' && JSON.stringify(data.errors ?? '').includes('slack file')
  );
}
