import type { Cluster, Redis } from 'ioredis';
import { normalizeCode } from '../codes/code-text.js';
import { codeError } from '../codes/errors.js';
import { newRecordId, TIME_KEY_LENGTH, timeKey } from '../codes/ids.js';
import { limitReachedAfterChange, removalAt, statusAt } from '../codes/lifetime.js';
import {
  type Actor,
  type CodeSettings,
  type CodeStatus,
  type InstallCode,
  targetOf,
} from '../codes/model.js';
import { type CodeInput, resolveSettings } from '../codes/rules.js';
import { redisNow } from './connection.js';
import { HISTORY_LENGTH, type HistoryEvent, parseHistory } from './history.js';
import { type Keys, keysFor } from './keys.js';
import { fromHash, toHash } from './record.js';
import { type RedeemRequest, type Redemption, redeemCode } from './redeem.js';

export interface StoreOptions {
  keyPrefix: string;
  retentionMs: number;
}

export interface ListQuery {
  limit: number;
  cursor?: string | null;
  /** Matches description, code, username prefix, account and device, ignoring case. */
  q?: string | null;
  status?: CodeStatus | null;
}

export interface CodePage {
  codes: InstallCode[];
  nextCursor: string | null;
}

/** How many index entries one filtered list request may look at before it hands back a cursor. */
const MAX_SCANNED_PER_PAGE = 5_000;
/** Index entries each new code looks at for codes that are gone (see sweepIndex). */
const SWEEP_STEP = 3;
/** Retries of a compare-and-set update that lost a race with a redemption. */
const MAX_UPDATE_ATTEMPTS = 20;

/**
 * Installation codes in Redis, in domain terms. A code is a record hash keyed by a stable ID:
 * its name (the normalised code) when it was created, so that finding a code by its name is one
 * look-up; a code renamed since is found through a pointer key from its new name. Codes are
 * listed through an index sorted by creation. Writes that span slots go in an order that leaves,
 * if interrupted, at most a pointer or an index entry to a record that is not there, which
 * readers skip and clean up.
 */
export class CodeStore {
  readonly keys: Keys;

  constructor(
    readonly redis: Redis | Cluster,
    readonly options: StoreOptions,
  ) {
    this.keys = keysFor(options.keyPrefix);
  }

  now(): Promise<number> {
    return redisNow(this.redis);
  }

  async createCode(input: CodeInput, actor: Actor): Promise<InstallCode> {
    const now = await this.now();
    const settings = resolveSettings(input, null, now);
    const fields: Omit<InstallCode, 'id'> = {
      ...settings,
      timesUsed: 0,
      lastUsedAt: null,
      limitReachedAt: limitReachedAfterChange(
        { ...settings, timesUsed: 0, limitReachedAt: null },
        now,
      ),
      createdAt: now,
      createdBy: actor,
      updatedAt: now,
      updatedBy: actor,
      version: 1,
    };
    const code = { ...fields, id: await this.writeNewRecord(fields) };
    await this.redis.zadd(this.keys.index, 0, indexMember(code));
    // Housekeeping that the new code does not depend on: a failure here must not fail it.
    await this.sweepIndex().catch(() => undefined);
    return code;
  }

  /**
   * Records leave by their TTL, but their index entries stay until someone lists past them. So
   * each new code looks at the next few entries of the whole index, in turn, from where the last
   * one stopped: every expired code's entry goes within (index size / SWEEP_STEP) creations.
   */
  private async sweepIndex(): Promise<void> {
    const after = await this.redis.get(this.keys.indexSweep);
    const members = await this.redis.zrange(
      this.keys.index,
      after ? `(${after}` : '-',
      '+',
      'BYLEX',
      'LIMIT',
      0,
      SWEEP_STEP,
    );
    const codes = await this.codesOfMembers(members);
    const stale = members.filter((_, i) => codes[i] === null);
    if (stale.length) await this.redis.zrem(this.keys.index, ...stale);
    // At the newest end, start again from the oldest.
    if (members.length < SWEEP_STEP) await this.redis.del(this.keys.indexSweep);
    else await this.redis.set(this.keys.indexSweep, members.at(-1) as string);
  }

  /** The codes behind index entries: null where the code is gone (or was made again since). */
  private async codesOfMembers(members: string[]): Promise<(InstallCode | null)[]> {
    const records = await Promise.all(members.map((member) => this.findById(idOfMember(member))));
    return records.map((code, i) => (code && indexMember(code) === members[i] ? code : null));
  }

  /**
   * Writes a new code's record under its name as ID; if a record renamed since holds that ID,
   * under a random ID with a pointer from the name. Answers the ID.
   */
  private async writeNewRecord(fields: Omit<InstallCode, 'id'>): Promise<string> {
    const name = normalizeCode(fields.code);
    const removal = this.removalOf(fields);
    const hash = Object.entries(toHash(fields).hash).flat();
    for (let attempt = 0; attempt < 3; attempt++) {
      const [outcome, holder] = await this.redis.icCreate(
        this.keys.record(name),
        this.keys.history(name),
        this.keys.name(name),
        removal,
        name,
        ...hash,
      );
      if (outcome === 'ok') return name;
      if (outcome === 'taken') throw codeError('code_taken');
      if (outcome === 'pointer') {
        if (await this.findNamed(holder as string, name)) throw codeError('code_taken');
        await this.releaseName(name, holder as string);
        continue;
      }
      // The ID is held by a record renamed since: a random ID, found through the name's pointer.
      const id = newRecordId(fields.createdAt);
      await this.claimName(fields.code, id, removal);
      try {
        const [created] = await this.redis.icCreate(
          this.keys.record(id),
          this.keys.history(id),
          this.keys.name(id),
          removal,
          '',
          ...hash,
        );
        if (created !== 'ok') throw new Error(`record ID ${id} is taken`);
        return id;
      } catch (error) {
        await this.releaseName(name, id).catch(() => undefined);
        throw error;
      }
    }
    throw codeError('code_taken');
  }

  /** The record `id`, if it is alive and named `name`. */
  private async findNamed(id: string, name: string): Promise<InstallCode | null> {
    const code = await this.findById(id);
    return code && normalizeCode(code.code) === name ? code : null;
  }

  /** The code written as `text` (compared as SPEC §1 says), or code_not_found. */
  async getCode(text: string): Promise<InstallCode> {
    const name = normalizeCode(text);
    // A renamed code is found through its name's pointer; any other under its name as ID.
    const pointed = name ? await this.redis.get(this.keys.name(name)) : null;
    for (const id of new Set([pointed, name])) {
      const code = id && (await this.findNamed(id, name));
      if (code) return code;
    }
    throw codeError('code_not_found');
  }

  async findById(id: string): Promise<InstallCode | null> {
    return fromHash(id, await this.redis.hgetall(this.keys.record(id)));
  }

  async getById(id: string): Promise<InstallCode> {
    const code = await this.findById(id);
    if (!code) throw codeError('code_not_found');
    return code;
  }

  /**
   * Applies a partial change (a rename too). With `expectedVersion`, a change made since gives
   * version_conflict. The count, last use and limit-reached instant are never reset.
   */
  async updateCode(
    current: InstallCode,
    input: CodeInput,
    actor: Actor,
    expectedVersion?: number,
  ): Promise<InstallCode> {
    let latest = current;
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      if (expectedVersion !== undefined && latest.version !== expectedVersion) {
        throw codeError('version_conflict');
      }
      const now = await this.now();
      const settings = resolveSettings(input, latest, now);
      const updated = this.applySettings(latest, settings, actor, now);
      const renamed = normalizeCode(updated.code) !== normalizeCode(latest.code);
      const removal = this.removalOf(updated);
      if (renamed) await this.claimName(updated.code, latest.id, removal);
      const result = await this.writeUpdate(
        latest,
        updated,
        removal,
        this.changeEvent(latest, updated, actor, now),
      );
      if (result === 'ok') {
        if (renamed) await this.releaseName(normalizeCode(latest.code), latest.id);
        else await this.followLifetime(updated.code, latest.id, removal);
        return updated;
      }
      if (renamed) await this.releaseName(normalizeCode(updated.code), latest.id);
      if (result === 'code_not_found') throw codeError('code_not_found');
      latest = await this.getById(latest.id);
    }
    throw codeError('unavailable');
  }

  async deleteCode(current: InstallCode, expectedVersion?: number): Promise<void> {
    const result = await this.redis.icDelete(
      this.keys.record(current.id),
      this.keys.history(current.id),
      expectedVersion ?? '',
    );
    if (result !== 'ok') throw codeError(result);
    await this.releaseName(normalizeCode(current.code), current.id);
    await this.redis.zrem(this.keys.index, indexMember(current));
  }

  async listCodes(query: ListQuery): Promise<CodePage> {
    const now = await this.now();
    const needle = query.q?.trim().toLowerCase() || null;
    const matches = (code: InstallCode) =>
      (!query.status || statusAt(code, now) === query.status) &&
      (!needle || matchesText(code, needle));
    const batch = needle || query.status ? Math.max(query.limit * 4, 100) : query.limit + 1;
    const codes: InstallCode[] = [];
    let after = query.cursor ?? null;
    let scanned = 0;
    while (scanned < MAX_SCANNED_PER_PAGE) {
      const members = await this.redis.zrange(
        this.keys.index,
        after ? `(${after}` : '+',
        '-',
        'BYLEX',
        'REV',
        'LIMIT',
        0,
        batch,
      );
      const records = await this.codesOfMembers(members);
      for (const [i, member] of members.entries()) {
        const code = records[i];
        if (!code) {
          await this.redis.zrem(this.keys.index, member);
        } else if (matches(code)) {
          if (codes.length === query.limit) return { codes, nextCursor: after };
          codes.push(code);
        }
        after = member;
        scanned++;
      }
      if (members.length < batch) return { codes, nextCursor: null };
    }
    return { codes, nextCursor: after };
  }

  /** What happened to a code, newest first; its creation is told by the record itself. */
  async history(code: InstallCode): Promise<HistoryEvent[]> {
    const events = parseHistory(await this.redis.lrange(this.keys.history(code.id), 0, -1));
    const created: HistoryEvent = { at: code.createdAt, by: code.createdBy, type: 'created' };
    return events.length < HISTORY_LENGTH ? [...events, created] : events;
  }

  /** Notes an event that changes nothing else, such as a share into a channel. */
  async addHistory(code: InstallCode, event: Omit<HistoryEvent, 'at'>): Promise<void> {
    const at = await this.now();
    await this.redis.icAddHistory(
      this.keys.record(code.id),
      this.keys.history(code.id),
      this.historyEntry({ ...event, at }),
      HISTORY_LENGTH,
    );
  }

  async redeem(request: RedeemRequest): Promise<Redemption> {
    return redeemCode(this, request);
  }

  /** When Redis should remove the record: RETENTION after it stops being usable. */
  private removalOf(code: Omit<InstallCode, 'id'>): number | '' {
    return removalAt(code, this.options.retentionMs) ?? '';
  }

  /** Keeps a name pointer's TTL with its record's, so it goes when the record does (no-op without one). */
  async followLifetime(text: string, id: string, removal: number | ''): Promise<void> {
    await this.redis.icSetNameLifetime(this.keys.name(normalizeCode(text)), id, removal);
  }

  /** Takes a name for a record (a pointer, unless the record's ID is the name), or code_taken. */
  private async claimName(text: string, id: string, removal: number | ''): Promise<void> {
    const name = normalizeCode(text);
    const keys = [this.keys.name(name), this.keys.record(name)];
    const claimed = await this.redis.icClaimName(...keys, id, '', removal, name);
    if (claimed[0] === 1) return;
    const holder = claimed[1];
    if (await this.findNamed(holder, name)) throw codeError('code_taken');
    const retried = await this.redis.icClaimName(...keys, id, holder, removal, name);
    if (retried[0] !== 1) throw codeError('code_taken');
  }

  /** Drops the name's pointer if it points at `id`. */
  private async releaseName(name: string, id: string): Promise<void> {
    await this.redis.icSetNameLifetime(this.keys.name(name), id, 'delete');
  }

  private applySettings(
    current: InstallCode,
    settings: CodeSettings,
    actor: Actor,
    now: number,
  ): InstallCode {
    const next = {
      ...current,
      ...settings,
      updatedAt: now,
      updatedBy: actor,
      version: current.version + 1,
    };
    return { ...next, limitReachedAt: limitReachedAfterChange(next, now) };
  }

  private async writeUpdate(
    current: InstallCode,
    updated: InstallCode,
    removal: number | '',
    event: HistoryEvent,
  ) {
    const { id, ...fields } = updated;
    const { hash, absent } = toHash(fields);
    return this.redis.icUpdate(
      this.keys.record(id),
      this.keys.history(id),
      removal,
      this.historyEntry(event),
      HISTORY_LENGTH,
      current.version,
      current.timesUsed,
      absent.length,
      ...absent,
      ...Object.entries(hash).flat(),
    );
  }

  private changeEvent(
    before: InstallCode,
    after: InstallCode,
    actor: Actor,
    now: number,
  ): HistoryEvent {
    const changed = (Object.keys(after) as (keyof InstallCode)[]).filter(
      (name) =>
        !['updatedAt', 'updatedBy', 'version'].includes(name) && before[name] !== after[name],
    );
    if (normalizeCode(before.code) === normalizeCode(after.code)) {
      return { at: now, by: actor, type: 'updated', changed };
    }
    return { at: now, by: actor, type: 'renamed', changed, from: before.code, to: after.code };
  }

  private historyEntry(event: HistoryEvent): string {
    return JSON.stringify(event);
  }
}

function matchesText(code: InstallCode, needle: string): boolean {
  const text = [code.description ?? '', code.code, targetOf(code)].join('\n').toLowerCase();
  const normalNeedle = normalizeCode(needle);
  return (
    text.includes(needle) ||
    (normalNeedle !== '' && normalizeCode(code.code).includes(normalNeedle))
  );
}

/**
 * A code's entry in the list index: its creation instant (9 sortable symbols) and its ID, so
 * that the index sorts newest first by member alone and pages by member.
 */
export function indexMember(code: Pick<InstallCode, 'createdAt' | 'id'>): string {
  return `${timeKey(code.createdAt)}${code.id}`;
}

function idOfMember(member: string): string {
  return member.slice(TIME_KEY_LENGTH);
}
