import { codeName, normalizeCode } from '../codes/code-text.js';
import { hashDeviceToken } from '../codes/device-token.js';
import { CodeError, codeError, type FieldErrors } from '../codes/errors.js';
import {
  codeTime,
  type Extension,
  extendedLimits,
  limitReachedAfterChange,
  removalAt,
  statusAt,
} from '../codes/lifetime.js';
import {
  type Actor,
  API_ACTOR,
  type CodeSettings,
  type CodeStatus,
  type InstallCode,
  SETTING_FIELDS,
  targetOf,
} from '../codes/model.js';
import { validateCode } from '../codes/rules.js';
import { CodeIndex, idOfMember, indexMember } from '../store/code-index.js';
import { CodeRecords, type Removal } from '../store/code-records.js';
import type { RedisClient } from '../store/connection.js';
import type { DeviceRegistry, DeviceVerification } from '../store/device-registry.js';
import type { HistoryEvent, HistoryEventType } from '../store/history.js';
import type { Keys } from '../store/keys.js';
import { type RedeemRequest, type Redemption, Redemptions } from '../store/redemptions.js';
import {
  answerBy,
  type Budget,
  budgetOf,
  monotonicNow,
  type RedisClock,
  settleBy,
} from '../store/redis-clock.js';

export interface ListQuery {
  limit: number;
  cursor?: string | null;
  /** Matches description, code, username prefix, account and device, ignoring case. */
  q?: string | null;
  status?: CodeStatus | null;
  /** Only the codes this person created. */
  createdBy?: string | null;
  /** Only codes that expire before this instant (and are still usable). */
  expiresBefore?: number | null;
}

export interface CodePage {
  codes: InstallCode[];
  nextCursor: string | null;
}

/**
 * A change made by a person or the API, or a redemption reaching the limit (other redemptions
 * are not told: what shows counts looks again periodically).
 */
export interface CodeChange {
  id: string;
  /** `limit_reached`: the redemption that used the last of the code's uses. */
  kind: 'created' | 'updated' | 'deleted' | 'limit_reached';
  by: Actor;
  at: number;
}
/** What a listener does with a change; the service keeps its promise until it settles (see settled). */
export type ChangeListener = (change: CodeChange) => Promise<void> | void;

export interface WriteOptions {
  /** For an update: a change made since this version gives version_conflict. */
  expectedVersion?: number;
  /** Fields the adapter could not read: reported with the rules' errors, and nothing is written. */
  knownErrors?: FieldErrors;
  /** The budget of the whole operation, when the caller did work of its own within it. */
  budget?: Budget;
  /**
   * Redis's clock as the caller read it within that budget (the editor, to build its input):
   * the operation validates against that reading rather than reading the clock again.
   */
  now?: number;
}

/**
 * How long a change may take before the person is told it failed: inside Slack's 3 s for the
 * editor's acknowledgement, and the API's 5 s. Redis refuses the write after it (RedisClock).
 */
const WRITE_BUDGET_MS = 2_500;

/** The budget of a change, for a caller that reads before it calls updateCode. */
export function writeBudget(): Budget {
  return budgetOf(WRITE_BUDGET_MS);
}
/** A device's redemption: its 503 comes within 5 s of receipt, with time to spare. */
const REDEEM_BUDGET_MS = 3_000;
/**
 * Recording a redemption's device, after the code was used: within the device's 5 s with the
 * redemption's own budget. The event relay records it again should this fail or run late.
 */
const DEVICE_RECORD_BUDGET_MS = 1_000;
/** A read, for a list or a Slack message: late reads change nothing, but someone is waiting. */
const READ_BUDGET_MS = 3_000;
/**
 * How many index entries one filtered list request may look at before it hands back a cursor:
 * bounded work for a request any workspace member can make (the code picker asks at each
 * keystroke), under 50 ms at 100,000 codes even on a slow machine (bench/RESULTS.md: about 30
 * µs of Node CPU a record there). Read 500 records a round trip.
 */
const MAX_SCANNED_PER_PAGE = 1_000;
const FILTERED_BATCH = 500;
/** Retries of a compare-and-set update that lost a race with a redemption. */
const MAX_UPDATE_ATTEMPTS = 20;

/**
 * What people and devices do with codes, for the API and Slack alike: each operation validates
 * once, against one reading of Redis's clock, and has a budget after which it answers 503 and
 * Redis refuses to apply it. The store below speaks domain types and hides the keys.
 */
export class CodeService {
  private readonly records: CodeRecords;
  private readonly index: CodeIndex;
  private readonly redemptions: Redemptions;
  private readonly changeListeners: ChangeListener[] = [];
  private readonly outboxListeners: ((recordId: string) => void)[] = [];
  /**
   * Work after an answer (the listeners', the index's sweep): a shutdown waits for it (settled),
   * so no change goes untold.
   */
  private readonly underWay = new Set<Promise<void>>();

  constructor(
    redis: RedisClient,
    keys: Keys,
    private readonly clock: RedisClock,
    private readonly retentionMs: number,
    private readonly devices: DeviceRegistry,
  ) {
    this.records = new CodeRecords(redis, keys, clock);
    this.index = new CodeIndex(redis, keys);
    this.redemptions = new Redemptions(
      redis,
      keys,
      clock,
      this.records,
      retentionMs,
      devices.retentionMs,
    );
  }

  /** Called after each change is written (the Slack side refreshes what it shows). */
  onChange(listener: ChangeListener): void {
    this.changeListeners.push(listener);
  }

  /**
   * Called with a code's record ID after each write that put an event in its outbox (every
   * change and redemption): the event relay moves it on (events/relay.ts).
   */
  onEventsWritten(listener: (recordId: string) => void): void {
    this.outboxListeners.push(listener);
  }

  /** One reading of Redis's clock (for showing statuses). */
  now(): Promise<number> {
    return this.read(() => this.clock.now());
  }

  async redeem(request: RedeemRequest): Promise<Redemption> {
    const budget = budgetOf(REDEEM_BUDGET_MS);
    const name = codeName(request.code);
    if (!name) throw codeError('code_not_found');
    const redemption = await this.redemptions.redeem(name, request, budget);
    if (!redemption.replayed) this.eventsWritten(redemption.recordId);
    const { timesUsed, usageLimit } = redemption.code;
    if (timesUsed === usageLimit) this.limitReached(name);
    // A device the code created was recorded by the redemption's own script (its ID's slot tag).
    if (redemption.action === 'use_existing_device') await this.recordDevice(redemption);
    return redemption;
  }

  /**
   * Records the existing device a redemption installed again (its record is in a slot of its
   * own), so that its new token can be verified. A failure is ignored: the use has counted, and a
   * 503 would hide it; the event relay records it again.
   */
  private async recordDevice(redemption: Redemption): Promise<void> {
    const recorded = this.devices.recordRedemption({
      deviceId: redemption.deviceId,
      tokenHash: hashDeviceToken(redemption.deviceToken),
      accountId: redemption.accountId,
      redeemedAt: redemption.redeemedAt,
    });
    await settleBy(monotonicNow() + DEVICE_RECORD_BUDGET_MS, recorded).catch(() => undefined);
  }

  /** Whether `deviceToken` is the token issued to the device (by its latest redemption) and not revoked. */
  verifyDevice(deviceId: string, deviceToken: string): Promise<DeviceVerification> {
    return this.read(() => this.devices.verify(deviceId, deviceToken));
  }

  /** Revokes the device's token, or device_not_found when it has none (unknown, gone, revoked). */
  revokeDevice(deviceId: string): Promise<void> {
    return this.read(async () => {
      if (!(await this.devices.revoke(deviceId))) throw codeError('device_not_found');
    });
  }

  /** Tells the listeners, off the redemption's path (one read, only for the use that reached it). */
  private limitReached(name: string): void {
    if (this.changeListeners.length === 0) return;
    void this.read(() => this.records.findByName(name))
      .then((code) => {
        if (code)
          this.changed({
            id: code.id,
            kind: 'limit_reached',
            by: 'device',
            at: code.lastUsedAt ?? 0,
          });
      })
      .catch(() => undefined);
  }

  async createCode(raw: unknown, actor: Actor, options: WriteOptions = {}): Promise<InstallCode> {
    const { knownErrors = {} } = options;
    const created = await this.withinBudget(options.budget, (budget) =>
      this.create(raw, actor, knownErrors, budget, options.now),
    );
    this.changed({ id: created.id, kind: 'created', by: actor, at: created.createdAt });
    return created;
  }

  /**
   * Applies a partial change (a rename too) to a code, or to the code written as `text` (read
   * within the same budget). The count, last use and limit-reached instant stay.
   */
  async updateCode(
    target: InstallCode | string,
    raw: unknown,
    actor: Actor,
    options: WriteOptions = {},
  ): Promise<InstallCode> {
    const updated = await this.withinBudget(options.budget, async (budget) =>
      this.update(target, () => raw, actor, options, budget),
    );
    this.changed({ id: updated.id, kind: 'updated', by: actor, at: updated.updatedAt });
    return updated;
  }

  /**
   * Adds days to a code's expiry or uses to its limit (lifetime.ts: extendedLimits), computed
   * from the code as it stands at the write, in the same compare-and-set as any change; a used-up
   * or expired code that is still kept comes back, and its TTL follows.
   */
  async extendCode(
    target: InstallCode | string,
    extension: Extension,
    actor: Actor,
  ): Promise<InstallCode> {
    const updated = await this.withinBudget(undefined, async (budget) =>
      this.update(
        target,
        (latest, at) => extensionInput(latest, extension, at),
        actor,
        { eventType: 'extended' },
        budget,
      ),
    );
    this.changed({ id: updated.id, kind: 'updated', by: actor, at: updated.updatedAt });
    return updated;
  }

  /** Removes a code, or the code written as `text`; `actor` is who removed it. */
  async deleteCode(
    target: InstallCode | string,
    expectedVersion?: number,
    actor: Actor = API_ACTOR,
  ): Promise<void> {
    const { id, at } = await this.withinBudget(undefined, async (budget) => {
      const [current, now] = await Promise.all([this.resolve(target), this.clock.now()]);
      const at = codeTime(current, now);
      await this.records.delete(current, expectedVersion, { by: actor, at }, budget);
      await this.index.remove(indexMember(current));
      return { id: current.id, at };
    });
    this.changed({ id, kind: 'deleted', by: actor, at });
  }

  /** When Redis removes `code`'s record (RETENTION after it stops being usable), or null for never. */
  removalInstant(code: InstallCode): number | null {
    return removalAt(code, this.retentionMs);
  }

  /** The code written as `text` (compared as SPEC §1 says), or code_not_found. */
  getCode(text: string): Promise<InstallCode> {
    return this.read(() => this.findByText(text));
  }

  findById(id: string): Promise<InstallCode | null> {
    return this.read(() => this.records.findById(id));
  }

  getById(id: string): Promise<InstallCode> {
    return this.read(async () => {
      const code = await this.records.findById(id);
      if (!code) throw codeError('code_not_found');
      return code;
    });
  }

  /** What happened to a code, or to the code written as `text`, newest first. */
  history(target: InstallCode | string): Promise<HistoryEvent[]> {
    return this.read(async () => this.records.history(await this.resolve(target)));
  }

  /** Notes an event that changes nothing else, such as a share into a channel. */
  addHistory(code: InstallCode, event: Omit<HistoryEvent, 'at'>): Promise<void> {
    return this.read(async () => {
      const at = codeTime(code, await this.clock.now());
      await this.records.addHistory(code, { ...event, at });
    });
  }

  listCodes(query: ListQuery): Promise<CodePage> {
    return this.read(() => this.list(query));
  }

  private async findByText(text: string): Promise<InstallCode> {
    const name = codeName(text);
    const code = name && (await this.records.findByName(name));
    if (!code) throw codeError('code_not_found');
    return code;
  }

  private resolve(target: InstallCode | string): Promise<InstallCode> {
    return typeof target === 'string' ? this.findByText(target) : Promise.resolve(target);
  }

  private async list(query: ListQuery): Promise<CodePage> {
    const filtered = Boolean(query.status || query.createdBy || query.expiresBefore);
    const now = filtered ? await this.clock.now() : 0;
    const needle = query.q?.trim().toLowerCase() || null;
    const matches = (code: InstallCode) =>
      (!query.status || statusAt(code, now) === query.status) &&
      (!query.createdBy || code.createdBy === query.createdBy) &&
      (!query.expiresBefore || expiresBetween(code, now, query.expiresBefore)) &&
      (!needle || matchesText(code, needle));
    const batch = needle || filtered ? FILTERED_BATCH : query.limit + 1;
    const codes: InstallCode[] = [];
    let after = query.cursor ?? null;
    for (let scanned = 0; scanned < MAX_SCANNED_PER_PAGE; ) {
      const members = await this.index.page(after, batch);
      const found = await this.codesOf(members);
      await this.index.remove(...members.filter((_, i) => found[i] === null));
      for (const [i, member] of members.entries()) {
        const code = found[i];
        if (code && matches(code)) {
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

  private async create(
    raw: unknown,
    actor: Actor,
    knownErrors: FieldErrors,
    budget: Budget,
    clockRead?: number,
  ): Promise<InstallCode> {
    const now = clockRead ?? (await this.clock.now());
    const fields = newCode(validateCode(raw, null, now, knownErrors), actor, now);
    const listed: string[] = [];
    const listFirst = async (id: string) => {
      listed.push(indexMember({ createdAt: now, id }));
      await this.index.add({ createdAt: now, id });
    };
    try {
      const id = await this.records.create(fields, this.removalOf(fields), budget, listFirst);
      // Housekeeping that the new code does not wait for, started after the answer is on its way.
      this.track(
        new Promise((resolve) => setImmediate(resolve)).then(() =>
          this.index.sweep((members) => this.codesOf(members)),
        ),
      );
      return { ...fields, id };
    } catch (error) {
      // A refused record was never written; a failed one may still be, so its entry stays.
      if (error instanceof CodeError && error.kind === 'code_taken') {
        await this.index.remove(...listed).catch(() => undefined);
      }
      throw error;
    }
  }

  /**
   * `rawOf` gives the change as input, from the code as last read and its time. The code (when
   * given as text) and Redis's clock are read together: one round trip.
   */
  private async update(
    target: InstallCode | string,
    rawOf: (latest: InstallCode, at: number) => unknown,
    actor: Actor,
    {
      expectedVersion,
      knownErrors,
      eventType,
      now: clockRead,
    }: WriteOptions & { eventType?: HistoryEventType },
    budget: Budget,
  ): Promise<InstallCode> {
    const [current, now] = await Promise.all([this.resolve(target), clockRead ?? this.clock.now()]);
    let latest = current;
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      if (expectedVersion !== undefined && latest.version !== expectedVersion) {
        throw codeError('version_conflict');
      }
      const at = codeTime(latest, now);
      const settings = validateCode(rawOf(latest, at), latest, at, knownErrors);
      const updated = applySettings(latest, settings, actor, at);
      const event = changeEvent(latest, updated, actor, at, eventType);
      const outcome = await this.records.update(
        latest,
        updated,
        this.removalOf(updated),
        event,
        budget,
      );
      if (outcome === 'ok') return updated;
      const reread = await this.records.findById(latest.id);
      if (!reread) throw codeError('code_not_found');
      latest = reread;
    }
    throw codeError('unavailable');
  }

  private eventsWritten(recordId: string): void {
    for (const listener of this.outboxListeners) listener(recordId);
  }

  private changed(change: CodeChange): void {
    if (change.kind !== 'limit_reached') this.eventsWritten(change.id);
    for (const listener of this.changeListeners) {
      this.track(Promise.resolve().then(() => listener(change)));
    }
  }

  /** Work after an answer, which settled() waits for; its failures are its own to log. */
  private track(work: Promise<unknown>): void {
    const done: Promise<void> = work
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => this.underWay.delete(done));
    this.underWay.add(done);
  }

  /** Waits for the work after every answer so far: listeners told, the index swept. */
  async settled(): Promise<void> {
    await Promise.all([...this.underWay]);
  }

  private read<T>(operation: () => Promise<T>): Promise<T> {
    return settleBy(answerBy(budgetOf(READ_BUDGET_MS)), operation());
  }

  private withinBudget<T>(
    budget: Budget = writeBudget(),
    operation: (budget: Budget) => Promise<T>,
  ): Promise<T> {
    return settleBy(answerBy(budget), operation(budget));
  }

  /** The codes behind index entries: null where the code is gone (or was made again since). */
  private async codesOf(members: string[]): Promise<(InstallCode | null)[]> {
    const codes = await Promise.all(members.map((m) => this.records.findById(idOfMember(m))));
    return codes.map((code, i) => (code && indexMember(code) === members[i] ? code : null));
  }

  /** When Redis should remove the record: RETENTION after it stops being usable. */
  private removalOf(code: Omit<InstallCode, 'id'>): Removal {
    return removalAt(code, this.retentionMs) ?? '';
  }
}

function newCode(settings: CodeSettings, actor: Actor, now: number): Omit<InstallCode, 'id'> {
  const unused = { ...settings, timesUsed: 0, limitReachedAt: null };
  return {
    ...unused,
    lastUsedAt: null,
    lastRefusedAt: null,
    limitReachedAt: limitReachedAfterChange(unused, now),
    createdAt: now,
    createdBy: actor,
    updatedAt: now,
    updatedBy: actor,
    version: 1,
  };
}

function applySettings(
  current: InstallCode,
  settings: CodeSettings,
  actor: Actor,
  now: number,
): InstallCode {
  const next = { ...current, ...settings, updatedAt: now, updatedBy: actor };
  return {
    ...next,
    version: current.version + 1,
    limitReachedAt: limitReachedAfterChange(next, now),
  };
}

function changeEvent(
  before: InstallCode,
  after: InstallCode,
  actor: Actor,
  at: number,
  eventType?: HistoryEventType,
): HistoryEvent {
  const changed = (Object.keys(after) as (keyof InstallCode)[]).filter(
    (name) => !['updatedAt', 'updatedBy', 'version'].includes(name) && before[name] !== after[name],
  );
  // Old and new values of what staff edit, so the history can say what changed into what.
  const changes = SETTING_FIELDS.filter((field) => before[field] !== after[field]).map((field) => ({
    field,
    from: before[field],
    to: after[field],
  }));
  const renamed = normalizeCode(before.code) !== normalizeCode(after.code);
  const type = eventType ?? typeOfChange(before, after, renamed);
  const names = renamed ? { from: before.code, to: after.code } : {};
  return { at, by: actor, type, changed, changes, ...names };
}

/** Disabling or enabling is told as such, whatever else changed with it; then a rename. */
function typeOfChange(before: InstallCode, after: InstallCode, renamed: boolean): HistoryEventType {
  if (before.enabled !== after.enabled) return after.enabled ? 'enabled' : 'disabled';
  return renamed ? 'renamed' : 'updated';
}

/** An extension as the input of an update: refused with the field's message when there is nothing to extend. */
function extensionInput(code: InstallCode, extension: Extension, now: number): unknown {
  const limits = extendedLimits(code, extension, now);
  if (!limits) {
    const [field, message] =
      'days' in extension
        ? ['days', 'this code never expires: there is no expiry to extend']
        : ['uses', 'this code has no usage limit: there are no uses to add'];
    const sentence = `${message.charAt(0).toUpperCase()}${message.slice(1)}.`;
    throw new CodeError('invalid_request', sentence, { [field]: message });
  }
  return {
    expiresAt: limits.expiresAt === null ? null : new Date(limits.expiresAt).toISOString(),
    usageLimit: limits.usageLimit,
  };
}

/** Still usable now, and expiring before `before`. */
function expiresBetween(code: InstallCode, now: number, before: number): boolean {
  const status = statusAt(code, now);
  return (
    (status === 'active' || status === 'grace') &&
    code.expiresAt !== null &&
    code.expiresAt < before
  );
}

function matchesText(code: InstallCode, needle: string): boolean {
  const text = [code.description ?? '', code.code, targetOf(code)].join('\n').toLowerCase();
  const normalNeedle = normalizeCode(needle);
  return (
    text.includes(needle) ||
    (normalNeedle !== '' && normalizeCode(code.code).includes(normalNeedle))
  );
}
