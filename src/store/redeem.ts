import { normalizeCode } from '../codes/code-text.js';
import {
  hashDeviceToken,
  idempotencyKeyHash,
  newDeviceToken,
  openToken,
  sealToken,
} from '../codes/device-token.js';
import { codeError } from '../codes/errors.js';
import { newDeviceId } from '../codes/ids.js';
import type { CodeAction } from '../codes/model.js';
import type { CodeStore } from './code-store.js';
import { connectRedis, isRedisUnavailable } from './connection.js';
import { HISTORY_LENGTH } from './history.js';
import { actionOfLetter } from './record.js';

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
  action: CodeAction;
  accountId: string | null;
  deviceId: string;
  deviceToken: string;
  code: { timesUsed: number; usageLimit: number | null; expiresAt: number | null };
}

const DEVICE_KEY_TTL_MS = 24 * 3_600_000;
/** A key of our own only has to outlive ioredis re-sending the command after a reconnect. */
const INTERNAL_KEY_TTL_MS = 10 * 60_000;

interface KeptAnswer extends Omit<Redemption, 'action' | 'deviceToken' | 'code'> {
  /** The action's letter, as the record holds it. */
  action: string;
  sealedToken: string;
  timesUsed: number;
  usageLimit: number | null;
  expiresAt: number | null;
}

/**
 * One redemption, as one atomic script on the code's slot. The record is looked for under the
 * code's name first (its ID unless it was renamed since), then through the name's pointer. A
 * group code's account number is drawn from its prefix's counter (another slot) only once the
 * script has said the code is usable, and handed to a second run of the script.
 */
export async function redeemCode(store: CodeStore, request: RedeemRequest): Promise<Redemption> {
  const name = normalizeCode(request.code);
  if (!name) throw codeError('code_not_found');
  const attempt: Attempt = {
    store,
    request,
    name,
    idempotencyKey: request.idempotencyKey ?? newDeviceToken(),
    deviceToken: newDeviceToken(),
    deadline: Date.now() + REDEMPTION_BUDGET_MS,
  };
  let id = name;
  let [outcome, ...details] = await redeemRecord(attempt, id);
  if (outcome === 'code_not_found') {
    const pointed = await store.redis.get(store.keys.name(name));
    if (pointed && pointed !== name) {
      id = pointed;
      [outcome, ...details] = await redeemRecord(attempt, id);
    }
  }
  switch (outcome) {
    case 'ok':
    case 'replay': {
      const [answer, removal] = details as [string, string | undefined];
      // The redemption is done: a pointer left with its old lifetime is only read, never trusted.
      if (removal && id !== name) {
        await store.followLifetime(name, id, Number(removal)).catch(() => undefined);
      }
      const kept = JSON.parse(answer) as KeptAnswer;
      return fromKeptAnswer(kept, attempt.idempotencyKey, id);
    }
    case 'code_expired':
    case 'code_used_up':
    case 'code_not_found':
      throw codeError(outcome);
    default:
      throw new Error(`unexpected redemption outcome ${outcome}`);
  }
}

interface Attempt {
  store: CodeStore;
  request: RedeemRequest;
  name: string;
  idempotencyKey: string;
  deviceToken: string;
  /** Past this instant, a redemption that cannot reach Redis answers 503 (SPEC: within 5 s). */
  deadline: number;
}

const REDEMPTION_BUDGET_MS = 4_000;

/** A lost connection or a timeout may follow a command that ran; a refusal to send may not. */
function mayHaveRun(error: unknown): boolean {
  return (
    isRedisUnavailable(error) && !/enableOfflineQueue|Stream isn't writeable/i.test(String(error))
  );
}

/**
 * A script whose reply was lost may have run: answering 503 then would hide a use of the code.
 * So wait for the connection to come back (within the deadline) and send it again under the same
 * idempotency key: Redis answers what it did, or does it now. A command that never left (no
 * connection) is refused at once and is safe to report as 503 when the deadline has passed.
 */
async function untilSettled<T>(attempt: Attempt, send: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await send();
    } catch (error) {
      if (!mayHaveRun(error) || Date.now() >= attempt.deadline) throw error;
      await connectRedis(attempt.store.redis, Math.max(1, attempt.deadline - Date.now())).catch(
        () => undefined,
      );
    }
  }
}

/** The script on record `id`, run again with an account number when a group code needs one. */
async function redeemRecord(attempt: Attempt, id: string): Promise<string[]> {
  const { store, request, idempotencyKey, deviceToken } = attempt;
  const { keys, redis } = store;
  const run = (accountNumber: number | '') =>
    untilSettled(attempt, () =>
      redis.icRedeem(
        keys.record(id),
        keys.history(id),
        keys.idempotency(id, idempotencyKeyHash(idempotencyKey)),
        keys.devices(id),
        keys.accounts(id),
        attempt.name,
        request.idempotencyKey ? DEVICE_KEY_TTL_MS : INTERNAL_KEY_TTL_MS,
        store.options.retentionMs,
        newDeviceId(),
        hashDeviceToken(deviceToken),
        sealToken(deviceToken, idempotencyKey, id),
        JSON.stringify(request.device),
        accountNumber,
        HISTORY_LENGTH,
      ),
    );
  const first = await run('');
  if (first[0] !== 'need_account_number') return first;
  return run(await redis.incr(keys.accountNumbers(first[1] as string)));
}

function fromKeptAnswer(kept: KeptAnswer, idempotencyKey: string, id: string): Redemption {
  return {
    action: actionOfLetter(kept.action) as CodeAction,
    accountId: kept.accountId,
    deviceId: kept.deviceId,
    deviceToken: openToken(kept.sealedToken, idempotencyKey, id),
    code: { timesUsed: kept.timesUsed, usageLimit: kept.usageLimit, expiresAt: kept.expiresAt },
  };
}
