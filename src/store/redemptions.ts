import {
  hashDeviceToken,
  idempotencyKeyHash,
  newDeviceToken,
  openToken,
  sealToken,
} from '../codes/device-token.js';
import { CodeError, codeError } from '../codes/errors.js';
import { newAttemptId, newDeviceId, newEventId } from '../codes/ids.js';
import type { CodeAction } from '../codes/model.js';
import type { CodeRecords } from './code-records.js';
import { connectRedis, type RedisClient, redisFailureOf } from './connection.js';
import { HISTORY_LENGTH } from './history.js';
import type { Keys } from './keys.js';
import { actionOfLetter } from './record.js';
import { answerBy, type Budget, monotonicNow, type RedisClock, settleBy } from './redis-clock.js';
import { drawAccountNumberScript, redeemScript, withdrawScript } from './scripts/index.js';
import { tagBeside } from './slot-tags.js';

export interface DeviceInfo {
  name?: string;
  model?: string;
  serial?: string;
}

export interface RedeemRequest {
  code: string;
  device: DeviceInfo;
  /** The device's Idempotency-Key; without one, a random key still guards against a client re-send. */
  idempotencyKey?: string;
}

export interface Redemption {
  /** The record the redemption counted on. */
  recordId: string;
  /** Whether this is an earlier request's answer given again (nothing was written now). */
  replayed: boolean;
  action: CodeAction;
  accountId: string | null;
  deviceId: string;
  deviceToken: string;
  code: { timesUsed: number; usageLimit: number | null; expiresAt: number | null };
  /** The redemption's instant (epoch ms, Redis's clock): the same for a replay of it. */
  redeemedAt: number;
}

const DEVICE_KEY_TTL_MS = 24 * 3_600_000;
/** A key of our own only has to outlive ioredis re-sending the command after a reconnect. */
const INTERNAL_KEY_TTL_MS = 10 * 60_000;
const WITHDRAW_RETRY_MS = 500;

interface KeptAnswer {
  /** The action's letter, as the record holds it. */
  action: string;
  accountId: string | null;
  deviceId: string;
  sealedToken: string;
  timesUsed: number;
  usageLimit: number | null;
  expiresAt: number | null;
  /** The redemption's instant. */
  at: number;
}

interface Attempt {
  /** This request's own ID (random), which the kept answer names. */
  id: string;
  name: string;
  /**
   * The records the script ran on (the name's, then a pointer's), each with the ID a new device
   * gets there: tagged with that record's slot.
   */
  records: { id: string; deviceId: string }[];
  /** Whether a send failed in a way that leaves open whether the script ran. */
  mayHaveRun: boolean;
  request: RedeemRequest;
  budget: Budget;
  idempotencyKey: string;
  deviceToken: string;
}

/**
 * Redemptions, each one atomic script on the code's slot, refused by Redis after the attempt's
 * deadline. The record is looked for under the code's name first (its ID unless it was renamed
 * since), then through the name's pointer. A group code's account number is drawn (another slot)
 * only once the script has said the code is usable, and handed to a second run of the script.
 */
export class Redemptions {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly clock: RedisClock,
    private readonly records: CodeRecords,
    private readonly retentionMs: number,
    /** DEVICE_RETENTION: how long the record of a device that a redemption created is kept. */
    private readonly deviceRetentionMs: number,
  ) {}

  /** Username prefixes whose legacy counter this process has carried over. */
  private readonly carriedOver = new Set<string>();

  /**
   * Redeems the code named `name` (normalised), or answers `unavailable` once the budget is
   * spent. Then the script may still have run, or run later within its deadline, with its reply
   * lost or held back: such a redemption is withdrawn in the background, so that a 503 never
   * hides a use.
   */
  async redeem(name: string, request: RedeemRequest, budget: Budget): Promise<Redemption> {
    const attempt: Attempt = {
      id: newAttemptId(),
      records: [],
      mayHaveRun: false,
      name,
      request,
      budget,
      idempotencyKey: request.idempotencyKey ?? newDeviceToken(),
      deviceToken: newDeviceToken(),
    };
    const work = this.attempt(attempt);
    try {
      return await settleBy(answerBy(budget), work);
    } catch (error) {
      if (!(error instanceof CodeError) || error.kind === 'unavailable') {
        void this.withdraw(attempt, work);
      }
      throw error;
    }
  }

  private async attempt(attempt: Attempt): Promise<Redemption> {
    const { name } = attempt;
    if (attempt.request.idempotencyKey) await this.claimKey(attempt);
    let id = name;
    let reply = await this.runOn(attempt, id);
    if (reply[0] === 'code_not_found') {
      const pointed = await this.records.pointedId(name);
      if (pointed) {
        id = pointed;
        reply = await this.runOn(attempt, id);
      }
    }
    switch (reply[0]) {
      case 'ok':
      case 'replay': {
        // The redemption is done: a pointer left with its old lifetime is only read, never trusted.
        const removal = reply[0] === 'ok' ? reply[2] : '';
        if (removal && id !== name) {
          await this.records.followLifetime(name, id, Number(removal)).catch(() => undefined);
        }
        return this.answerOf(JSON.parse(reply[1]) as KeptAnswer, attempt, id, reply[0]);
      }
      case 'too_late':
        throw codeError('unavailable');
      case 'need_account_number':
        throw new Error('the redemption script asked for an account number twice');
      default:
        throw codeError(reply[0]);
    }
  }

  /** The script on record `id`, run again with an account number when a group code needs one. */
  private async runOn(attempt: Attempt, id: string) {
    const { request, idempotencyKey, deviceToken } = attempt;
    const record = this.keys.record(id);
    const deviceId = newDeviceId(tagBeside(record));
    attempt.records.push({ id, deviceId });
    const keys = {
      record,
      history: this.keys.history(id),
      idempotency: this.keys.idempotency(id, idempotencyKeyHash(idempotencyKey)),
      outbox: this.keys.outbox(id),
      newDevice: this.keys.device(deviceId),
    };
    const args = {
      name: attempt.name,
      deadline: await this.clock.deadline(record, attempt.budget),
      keptForMs: request.idempotencyKey ? DEVICE_KEY_TTL_MS : INTERNAL_KEY_TTL_MS,
      retentionMs: this.retentionMs,
      deviceRetentionMs: this.deviceRetentionMs,
      deviceId,
      tokenHash: hashDeviceToken(deviceToken),
      // Only a device's own key can ask for the answer again later: only then keep the token.
      sealedToken: request.idempotencyKey ? sealToken(deviceToken, idempotencyKey, id) : '',
      device: JSON.stringify(request.device),
      historyLength: HISTORY_LENGTH,
      attempt: attempt.id,
      eventId: newEventId(),
    };
    const run = (accountNumber: number | '') =>
      this.untilSettled(attempt, () =>
        redeemScript.run(this.redis, keys, { ...args, accountNumber }),
      );
    const first = await run('');
    if (first[0] !== 'need_account_number') return first;
    return run(await this.drawAccountNumber(first[1]));
  }

  /**
   * A device's Idempotency-Key belongs to the first code it was used with, for as long as answers
   * are kept: the same key with another code is refused (422) rather than answered with the
   * first code's answer, before anything else happens.
   */
  private async claimKey(attempt: Attempt): Promise<void> {
    const key = this.keys.idempotencyClaim(idempotencyKeyHash(attempt.idempotencyKey));
    const first = await this.redis.set(key, attempt.name, 'PX', DEVICE_KEY_TTL_MS, 'NX', 'GET');
    if (first !== null && first !== attempt.name) throw codeError('idempotency_key_reused');
  }

  /**
   * Once the request's work has settled (a late reply, or the client giving up), takes back what
   * its script did, if it did anything: on the same connection, after it, so a script still
   * queued in Redis has been refused by its deadline by then. A record found through the name's
   * pointer gives the pointer its lifetime back (the redemption may have set it to the limit's).
   * Retried while Redis is away, for as long as the answer is kept; a service that stops
   * meanwhile leaves the use counted.
   */
  private async withdraw(attempt: Attempt, work: Promise<Redemption>): Promise<void> {
    const ran = await work.then(
      () => true,
      () => attempt.mayHaveRun,
    );
    if (!ran) return;
    const keptFor = attempt.request.idempotencyKey ? DEVICE_KEY_TTL_MS : INTERNAL_KEY_TTL_MS;
    const until = monotonicNow() + keptFor;
    for (const { id, deviceId } of attempt.records) {
      const keys = {
        record: this.keys.record(id),
        history: this.keys.history(id),
        idempotency: this.keys.idempotency(id, idempotencyKeyHash(attempt.idempotencyKey)),
        outbox: this.keys.outbox(id),
        newDevice: this.keys.device(deviceId),
      };
      const args = { attempt: attempt.id, retentionMs: this.retentionMs, deviceId };
      const outcome = await this.retried(until, () => withdrawScript.run(this.redis, keys, args));
      if (outcome?.[0] === 'withdrawn' && id !== attempt.name) {
        const removal = outcome[1] > 0 ? outcome[1] : '';
        await this.retried(until, () => this.records.followLifetime(attempt.name, id, removal));
      }
    }
  }

  /** `work` until it succeeds, every WITHDRAW_RETRY_MS, until `until` or the client's end. */
  private async retried<T>(until: number, work: () => Promise<T>): Promise<T | undefined> {
    while (monotonicNow() < until && this.redis.status !== 'end') {
      try {
        return await work();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, WITHDRAW_RETRY_MS).unref());
      }
    }
    return undefined;
  }

  /** Numbers are drawn per stem (the prefix without trailing digits): see drawAccountNumberScript. */
  private async drawAccountNumber(usernamePrefix: string): Promise<number> {
    const [, stem = '', tail = ''] = /^(.*?)(\d*)$/.exec(usernamePrefix) ?? [];
    const counters = this.keys.accountNumbers(stem);
    await this.carryOverLegacyCounter(usernamePrefix, counters, tail);
    return drawAccountNumberScript.run(this.redis, { counters }, { tail });
  }

  /**
   * Counters were once kept per prefix (`prefix:{…}`): a prefix's first draw here carries its
   * last number over (once per process, and only where the new counter has none), so that no
   * number is handed out twice after an upgrade.
   */
  private async carryOverLegacyCounter(usernamePrefix: string, counters: string, tail: string) {
    if (this.carriedOver.has(usernamePrefix)) return;
    const legacy = await this.redis.get(this.keys.legacyAccountNumber(usernamePrefix));
    if (legacy) await this.redis.hsetnx(counters, tail, legacy);
    this.carriedOver.add(usernamePrefix);
  }

  /**
   * A script whose reply was lost may have run: answering 503 then would hide a use of the code.
   * So wait for the connection to come back (within the budget) and send it again under the same
   * idempotency key: Redis answers what it did, or does it now, or refuses it past the deadline.
   */
  private async untilSettled<T>(attempt: Attempt, send: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await send();
      } catch (error) {
        if (!mayHaveRun(error)) throw error;
        attempt.mayHaveRun = true;
        const left = answerBy(attempt.budget) - monotonicNow();
        if (left <= 0) throw error;
        await connectRedis(this.redis, left).catch(() => undefined);
      }
    }
  }

  private answerOf(kept: KeptAnswer, attempt: Attempt, id: string, outcome: 'ok' | 'replay') {
    const { idempotencyKey, request } = attempt;
    // A replay under the device's key may come from an earlier request: its token is the sealed one.
    const deviceToken =
      outcome === 'replay' && request.idempotencyKey
        ? openToken(kept.sealedToken, idempotencyKey, id)
        : attempt.deviceToken;
    return {
      recordId: id,
      replayed: outcome === 'replay',
      action: actionOfLetter(kept.action) as CodeAction,
      accountId: kept.accountId,
      deviceId: kept.deviceId,
      deviceToken,
      code: { timesUsed: kept.timesUsed, usageLimit: kept.usageLimit, expiresAt: kept.expiresAt },
      redeemedAt: kept.at,
    };
  }
}

/** A lost connection or a timeout may follow a command that ran; a refusal, or no connection, not. */
function mayHaveRun(error: unknown): boolean {
  return redisFailureOf(error)?.mayHaveRun === true;
}
