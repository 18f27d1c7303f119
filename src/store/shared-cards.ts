import type { Actor } from '../codes/model.js';
import type { RedisClient } from './connection.js';
import { keepWithCode } from './kept-with-code.js';
import type { Keys } from './keys.js';

/** A message the app posted into a channel for a code (its "card"). */
export interface SharedCard {
  channel: string;
  ts: string;
  sharedBy: string;
  sharedAt: number;
  /** The creation instant of the code shared: a code made later under the same name is another. */
  codeCreatedAt: number;
  /** A digest of what the message shows now: an update that would show the same is skipped. */
  shown?: string;
}

/** The private QR image the cards of a code show, and the code text it encodes. */
export interface CardQr {
  fileId: string;
  code: string;
}

/** Who removed the code and when: the record is gone, so the cards keep it. */
export interface CardRemoval {
  by: Actor;
  at: number;
}

export interface CardsOfCode {
  cards: SharedCard[];
  qr: CardQr | null;
  removal: CardRemoval | null;
}

/** Hash fields besides the cards, which are keyed `channel/ts`. */
const QR_FIELD = '@qr';
const REMOVAL_FIELD = '@removed';

/**
 * Every message a code was shared in, so each can be kept true (see slack/live-cards.ts). One
 * hash per code, in the code's slot: `channel/ts` → the card, plus the QR file and the removal.
 */
export class SharedCards {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async of(id: string): Promise<CardsOfCode> {
    const all = await this.redis.hgetall(this.keys.cards(id));
    const cards: SharedCard[] = [];
    for (const [field, value] of Object.entries(all)) {
      if (!field.startsWith('@')) cards.push(JSON.parse(value) as SharedCard);
    }
    cards.sort((a, b) => a.sharedAt - b.sharedAt);
    const qr = all[QR_FIELD] ? (JSON.parse(all[QR_FIELD]) as CardQr) : null;
    const removal = all[REMOVAL_FIELD] ? (JSON.parse(all[REMOVAL_FIELD]) as CardRemoval) : null;
    return { cards, qr, removal };
  }

  /** The channels a code's cards are in (for the editor's rename warning). */
  async channelsOf(id: string): Promise<string[]> {
    const { cards } = await this.of(id);
    return [...new Set(cards.map((card) => card.channel))];
  }

  /** Remembers a new card, and the QR file it shows; kept as long as the code (`removal`) and a day. */
  async add(id: string, card: SharedCard, qr: CardQr, removal: number | null): Promise<void> {
    const key = this.keys.cards(id);
    // A removal noted earlier stays: it tells the cards of an earlier code of this name.
    const multi = this.redis
      .multi()
      .hset(key, fieldOf(card), JSON.stringify(card), QR_FIELD, JSON.stringify(qr));
    await keepWithCode(multi, key, removal).exec();
  }

  async setShown(id: string, card: SharedCard, shown: string): Promise<void> {
    // HSET only if the card is still there: a card dropped meanwhile stays dropped.
    const key = this.keys.cards(id);
    if (await this.redis.hexists(key, fieldOf(card))) {
      await this.redis.hset(key, fieldOf(card), JSON.stringify({ ...card, shown }));
    }
  }

  async setQr(id: string, qr: CardQr | null): Promise<void> {
    const key = this.keys.cards(id);
    if (qr) await this.redis.hset(key, QR_FIELD, JSON.stringify(qr));
    else await this.redis.hdel(key, QR_FIELD);
  }

  /** Forgets a card whose message is gone (deleted in Slack, or its channel). */
  async drop(id: string, card: SharedCard): Promise<void> {
    await this.redis.hdel(this.keys.cards(id), fieldOf(card));
  }

  /**
   * Notes who removed the code, for its cards to say; also when none is known yet, as a share
   * under way may add one after the removal.
   */
  async noteRemoval(id: string, removal: CardRemoval): Promise<void> {
    const key = this.keys.cards(id);
    const multi = this.redis.multi().hset(key, REMOVAL_FIELD, JSON.stringify(removal));
    await keepWithCode(multi, key, removal.at).exec();
  }

  /** Keeps the cards as long as their code (`removal`, null for ever), and a day more. */
  async keepUntil(id: string, removal: number | null): Promise<void> {
    await keepWithCode(this.redis.multi(), this.keys.cards(id), removal).exec();
  }
}

function fieldOf(card: Pick<SharedCard, 'channel' | 'ts'>): string {
  return `${card.channel}/${card.ts}`;
}
