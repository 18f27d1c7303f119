import { normalizeCode } from '../codes/code-text.js';
import { codeError } from '../codes/errors.js';
import { newEventId, newRecordId } from '../codes/ids.js';
import type { InstallCode } from '../codes/model.js';
import type { RedisClient } from './connection.js';
import { HISTORY_LENGTH, type HistoryEvent, parseHistory } from './history.js';
import type { Keys } from './keys.js';
import { FIELD, fromHash, toHash } from './record.js';
import type { Budget, RedisClock } from './redis-clock.js';
import {
  addHistoryScript,
  claimNameScript,
  createRecordScript,
  deleteRecordScript,
  setNameLifetimeScript,
  updateRecordScript,
} from './scripts/index.js';

/** When Redis removes a record: an epoch ms, or '' for never. */
export type Removal = number | '';

/**
 * Codes' records in Redis. A record is a hash keyed by a stable ID: the name (normalised code) it
 * was created with, so that finding a code by its name is one look-up; a code renamed since is
 * found through a pointer key from its new name. Writes to a record are scripts that refuse to
 * act after their deadline, so an operation reported as failed never takes effect later.
 */
export class CodeRecords {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly clock: RedisClock,
  ) {}

  async findById(id: string): Promise<InstallCode | null> {
    return fromHash(id, await this.redis.hgetall(this.keys.record(id)));
  }

  /** The code named `name` (normalised): under its name as ID, or through its name's pointer. */
  async findByName(name: string): Promise<InstallCode | null> {
    // Both at once (one round trip): most codes were never renamed and have no pointer.
    const [pointed, namesake] = await Promise.all([
      this.redis.get(this.keys.name(name)),
      this.findById(name),
    ]);
    const pointedCode = pointed && pointed !== name ? await this.findNamed(pointed, name) : null;
    if (pointedCode) return pointedCode;
    return namesake && normalizeCode(namesake.code) === name ? namesake : null;
  }

  /** The record `id`, if it is alive and named `name`. */
  private async findNamed(id: string, name: string): Promise<InstallCode | null> {
    const code = await this.findById(id);
    return code && normalizeCode(code.code) === name ? code : null;
  }

  /** The record ID a redemption of `name` should try after the name itself, if any. */
  async pointedId(name: string): Promise<string | null> {
    const pointed = await this.redis.get(this.keys.name(name));
    return pointed && pointed !== name ? pointed : null;
  }

  /**
   * Writes a new code's record under its name as ID; if a record renamed since holds that ID,
   * under a random ID with a pointer from the name. `beforeWrite` runs with the ID before the
   * record is written (the index entry goes first). Answers the ID, or code_taken.
   */
  async create(
    fields: Omit<InstallCode, 'id'>,
    removal: Removal,
    budget: Budget,
    beforeWrite: (id: string) => Promise<void>,
    id = normalizeCode(fields.code),
  ): Promise<string> {
    const name = normalizeCode(fields.code);
    for (let attempt = 0; attempt < 3; attempt++) {
      await beforeWrite(id);
      const [outcome, holder] = await this.writeRecord(id, name, fields, removal, budget);
      if (outcome === 'ok') return id;
      if (outcome === 'taken') throw codeError('code_taken');
      if (outcome === 'pointer') {
        if (await this.findNamed(holder as string, name)) throw codeError('code_taken');
        await this.releaseName(name, holder as string);
        continue;
      }
      if (id !== name) throw new Error(`record ID ${id} is taken`);
      // The name is held as an ID by a record renamed since: a random ID, and a pointer to it.
      return this.createUnderRandomId(fields, removal, budget, beforeWrite);
    }
    throw codeError('code_taken');
  }

  private async createUnderRandomId(
    fields: Omit<InstallCode, 'id'>,
    removal: Removal,
    budget: Budget,
    beforeWrite: (id: string) => Promise<void>,
  ): Promise<string> {
    const id = newRecordId(fields.createdAt);
    await this.claimName(fields.code, id, removal);
    try {
      return await this.create(fields, removal, budget, beforeWrite, id);
    } catch (error) {
      await this.releaseName(normalizeCode(fields.code), id).catch(() => undefined);
      throw error;
    }
  }

  private async writeRecord(
    id: string,
    name: string,
    fields: Omit<InstallCode, 'id'>,
    removal: Removal,
    budget: Budget,
  ) {
    const key = this.keys.record(id);
    const reply = await createRecordScript.run(
      this.redis,
      { record: key, pointer: this.keys.name(id), outbox: this.keys.outbox(id) },
      {
        ownName: id === name ? name : '',
        fields: JSON.stringify(toHash(fields).hash),
        removal,
        deadline: await this.clock.deadline(key, budget),
        event: JSON.stringify({
          id: newEventId(),
          type: 'created',
          at: fields.createdAt,
          by: fields.createdBy,
        }),
      },
    );
    if (reply[0] === 'too_late') throw codeError('unavailable');
    return reply;
  }

  /**
   * Writes `updated` over `current` if neither its version nor its count moved meanwhile
   * ('moved' otherwise). A rename claims the new name first and releases the old one after the
   * answer: a pointer left behind is never trusted (the record no longer bears that name), so
   * the release is housekeeping, and a save takes three round trips (read, claim, write).
   */
  async update(
    current: InstallCode,
    updated: InstallCode,
    removal: Removal,
    event: HistoryEvent,
    budget: Budget,
  ): Promise<'ok' | 'moved'> {
    const renamed = normalizeCode(updated.code) !== normalizeCode(current.code);
    if (renamed) await this.claimName(updated.code, current.id, removal);
    const { id, ...fields } = updated;
    const { hash, absent } = toHash(fields);
    // Redemptions alone write lastRefusedAt, and may do so between our read and this write.
    delete hash[FIELD.lastRefusedAt];
    const unset = absent.filter((field) => field !== FIELD.lastRefusedAt);
    const key = this.keys.record(id);
    const [outcome] = await updateRecordScript.run(
      this.redis,
      {
        record: key,
        history: this.keys.history(id),
        outbox: this.keys.outbox(id),
      },
      {
        version: current.version,
        timesUsed: current.timesUsed,
        set: JSON.stringify(hash),
        unset: JSON.stringify(unset),
        removal,
        entry: JSON.stringify(event),
        historyLength: HISTORY_LENGTH,
        eventId: newEventId(),
        deadline: await this.clock.deadline(key, budget),
      },
    );
    if (outcome === 'ok') {
      const former = normalizeCode(current.code);
      // A name that is the record's ID has no pointer to release (most codes' first rename).
      if (renamed) {
        if (former !== id) {
          setImmediate(() => this.releaseName(former, id).catch(() => undefined));
        }
      }
      // Only a name other than the ID has a pointer whose lifetime follows the record's.
      else if (former !== id) await this.followLifetime(updated.code, id, removal);
      return 'ok';
    }
    if (renamed) await this.releaseName(normalizeCode(updated.code), id);
    if (outcome === 'moved') return 'moved';
    throw codeError(outcome === 'too_late' ? 'unavailable' : outcome);
  }

  /** Deletes `current`, removed by `by` at `at` (its `removed` event says so). */
  async delete(
    current: InstallCode,
    expectedVersion: number | undefined,
    removed: { by: string; at: number },
    budget: Budget,
  ) {
    const key = this.keys.record(current.id);
    const [outcome] = await deleteRecordScript.run(
      this.redis,
      {
        record: key,
        history: this.keys.history(current.id),
        legacyRegistry: this.keys.legacyRegistry(current.id),
        outbox: this.keys.outbox(current.id),
      },
      {
        version: expectedVersion ?? '',
        deadline: await this.clock.deadline(key, budget),
        event: JSON.stringify({ id: newEventId(), type: 'removed', ...removed }),
      },
    );
    if (outcome !== 'ok') throw codeError(outcome === 'too_late' ? 'unavailable' : outcome);
    await this.releaseName(normalizeCode(current.code), current.id);
  }

  /** What happened to a code, newest first; its creation is told by the record itself. */
  async history(code: InstallCode): Promise<HistoryEvent[]> {
    const events = parseHistory(await this.redis.lrange(this.keys.history(code.id), 0, -1));
    const created: HistoryEvent = { at: code.createdAt, by: code.createdBy, type: 'created' };
    return events.length < HISTORY_LENGTH ? [...events, created] : events;
  }

  async addHistory(code: InstallCode, event: HistoryEvent): Promise<void> {
    await addHistoryScript.run(
      this.redis,
      { record: this.keys.record(code.id), history: this.keys.history(code.id) },
      { entry: JSON.stringify(event), historyLength: HISTORY_LENGTH },
    );
  }

  /** Keeps a name pointer's TTL with its record's, so it goes when the record does (no-op without one). */
  async followLifetime(text: string, id: string, removal: Removal): Promise<void> {
    await setNameLifetimeScript.run(
      this.redis,
      { pointer: this.keys.name(normalizeCode(text)) },
      { id, removal },
    );
  }

  /** Takes a name for a record (a pointer, unless the record's ID is the name), or code_taken. */
  private async claimName(text: string, id: string, removal: Removal): Promise<void> {
    const name = normalizeCode(text);
    const claim = (replaceable: string) =>
      claimNameScript.run(
        this.redis,
        { pointer: this.keys.name(name), namesake: this.keys.record(name) },
        { id, replaceable, removal, name },
      );
    const claimed = await claim('');
    if (claimed[0] === 1) return;
    const holder = claimed[1];
    if (await this.findNamed(holder, name)) throw codeError('code_taken');
    if ((await claim(holder))[0] !== 1) throw codeError('code_taken');
  }

  /** Drops the name's pointer if it points at `id`. */
  private async releaseName(name: string, id: string): Promise<void> {
    await setNameLifetimeScript.run(
      this.redis,
      { pointer: this.keys.name(name) },
      { id, removal: 'delete' },
    );
  }
}
