import { randomBytes } from 'node:crypto';
import type { RedisClient } from './connection.js';
import type { Keys } from './keys.js';
import {
  addRemovalCopyScript,
  decideRemovalRequestScript,
  openRemovalRequestScript,
  reopenRemovalRequestScript,
  withdrawRemovalRequestScript,
} from './scripts/index.js';

/** How long a request waits for an admin: then it is dropped, and may be asked again. */
const PENDING_TTL_MS = 30 * 24 * 3_600_000;
/** How long a decided request is kept, so that a press on a stale copy can be told who decided. */
const DECIDED_TTL_MS = 3 * 24 * 3_600_000;

/** What an admin decided: the code removed or kept, or it was gone when they decided. */
export type RemovalDecision = 'removed' | 'kept' | 'gone';
const DECISIONS: readonly string[] = ['removed', 'kept', 'gone'] satisfies RemovalDecision[];

/** A message that shows the request to an admin. */
export interface RemovalCopy {
  channel: string;
  ts: string;
}

export interface Decided {
  decision: RemovalDecision;
  by: string;
  at: number;
}

export interface RemovalRequest {
  id: string;
  codeId: string;
  /** The code's text when it was asked for. */
  code: string;
  requestedBy: string;
  /** '' when none was given. */
  reason: string;
  at: number;
  copies: RemovalCopy[];
  decided: Decided | null;
}

export type NewRemovalRequest = Pick<RemovalRequest, 'codeId' | 'code' | 'requestedBy' | 'reason'>;

export type OpenResult =
  | { opened: true; request: RemovalRequest }
  | { opened: false; pending: RemovalRequest | null };

export type DecidedRequest = RemovalRequest & { decided: Decided };

export type DecideResult =
  | { outcome: 'missing' }
  | { outcome: 'won'; request: DecidedRequest }
  | { outcome: 'lost'; request: DecidedRequest };

/**
 * Staff members' requests to remove a code, each decided once by an admin: the first decision
 * wins atomically in Redis (store/scripts/removal-requests.ts), whichever replica it reaches.
 */
export class RemovalRequests {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** Opens a request, or gives the code's pending one (null if it vanished meanwhile). */
  async open(fields: NewRemovalRequest): Promise<OpenResult> {
    const id = randomBytes(12).toString('base64url');
    const reply = await openRemovalRequestScript.run(
      this.redis,
      {
        record: this.keys.removalRequest(id),
        pending: this.keys.removalPending,
        pendingFor: this.keys.removalPendingFor(fields.codeId),
      },
      { id, ...fields, ttlMs: PENDING_TTL_MS },
    );
    if (reply[0] === 1) {
      return {
        opened: true,
        request: { id, ...fields, at: Number(reply[1]), copies: [], decided: null },
      };
    }
    return { opened: false, pending: await this.get(String(reply[1])) };
  }

  /** Records a message showing the request; gives the decision if it came first (null: pending). */
  async addCopy(id: string, copy: RemovalCopy): Promise<Decided | null> {
    const reply = await addRemovalCopyScript.run(
      this.redis,
      { record: this.keys.removalRequest(id), copies: this.keys.removalCopies(id) },
      { copy: `${copy.channel} ${copy.ts}` },
    );
    if (reply[0] === 'missing') return null;
    return decidedOf(reply[1], reply[2], reply[3]);
  }

  /** The first decision wins; any later one is told the first ('lost'). */
  async decide(id: string, decision: RemovalDecision, by: string): Promise<DecideResult> {
    const codeId = await this.redis.hget(this.keys.removalRequest(id), 'codeId');
    if (codeId === null) return { outcome: 'missing' };
    const reply = await decideRemovalRequestScript.run(
      this.redis,
      {
        record: this.keys.removalRequest(id),
        copies: this.keys.removalCopies(id),
        pending: this.keys.removalPending,
        pendingFor: this.keys.removalPendingFor(codeId),
      },
      { id, decision, by, ttlMs: DECIDED_TTL_MS },
    );
    if (reply[0] === 'missing') return { outcome: 'missing' };
    const request = await this.get(id);
    if (!request) return { outcome: 'missing' };
    if (reply[0] === 'won') {
      return { outcome: 'won', request: { ...request, decided: { decision, by, at: reply[1] } } };
    }
    // The decision as the script saw it, whatever happened since.
    const first = decidedOf(reply[1], reply[2], reply[3]) ?? { decision, by: '', at: 0 };
    return { outcome: 'lost', request: { ...request, decided: first } };
  }

  /** Makes a decision that could not be carried out pending again (unless another came since). */
  async reopen(request: DecidedRequest): Promise<boolean> {
    const reopened = await reopenRemovalRequestScript.run(
      this.redis,
      {
        record: this.keys.removalRequest(request.id),
        pending: this.keys.removalPending,
        pendingFor: this.keys.removalPendingFor(request.codeId),
      },
      {
        id: request.id,
        by: request.decided.by,
        decidedAt: String(request.decided.at),
        ttlMs: PENDING_TTL_MS,
      },
    );
    return reopened === 1;
  }

  /** The code's pending request, if it has one. */
  async pendingFor(codeId: string): Promise<RemovalRequest | null> {
    const id = await this.redis.get(this.keys.removalPendingFor(codeId));
    const request = id ? await this.get(id) : null;
    return request?.decided === null ? request : null;
  }

  /** Forgets a request no admin could be shown. */
  async withdraw(request: Pick<RemovalRequest, 'id' | 'codeId'>): Promise<void> {
    await withdrawRemovalRequestScript.run(
      this.redis,
      {
        record: this.keys.removalRequest(request.id),
        copies: this.keys.removalCopies(request.id),
        pending: this.keys.removalPending,
        pendingFor: this.keys.removalPendingFor(request.codeId),
      },
      { id: request.id },
    );
  }

  async get(id: string): Promise<RemovalRequest | null> {
    const [fields, copies] = await Promise.all([
      this.redis.hgetall(this.keys.removalRequest(id)),
      this.redis.lrange(this.keys.removalCopies(id), 0, -1),
    ]);
    if (!fields.codeId) return null;
    return {
      id,
      codeId: fields.codeId,
      code: fields.code ?? '',
      requestedBy: fields.requestedBy ?? '',
      reason: fields.reason ?? '',
      at: Number(fields.at),
      copies: copies.map(copyOf),
      decided: decidedOf(fields.decision, fields.decidedBy, fields.decidedAt),
    };
  }

  /** Pending requests, newest first (for the App Home). Requests that expired are dropped from the index. */
  async pending(limit: number): Promise<RemovalRequest[]> {
    const ids = await this.redis.zrevrange(this.keys.removalPending, 0, Math.max(0, limit - 1));
    const requests = await Promise.all(ids.map((id) => this.get(id)));
    const gone = ids.filter((_, i) => !requests[i]);
    if (gone.length) await this.redis.zrem(this.keys.removalPending, ...gone);
    return requests.filter((r): r is RemovalRequest => r !== null && r.decided === null);
  }
}

function copyOf(entry: string): RemovalCopy {
  const [channel = '', ts = ''] = entry.split(' ');
  return { channel, ts };
}

function decidedOf(
  decision: string | undefined,
  by: string | undefined,
  at: string | undefined,
): Decided | null {
  if (!decision || !DECISIONS.includes(decision)) return null;
  return { decision: decision as RemovalDecision, by: by ?? '', at: Number(at) };
}
