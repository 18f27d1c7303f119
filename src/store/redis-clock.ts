import calculateSlot from 'cluster-key-slot';
import { Cluster, type Redis } from 'ioredis';
import { codeError } from '../codes/errors.js';
import type { RedisClient } from './connection.js';

/** This process's clock in ms, monotonic: a step of the machine's wall clock does not move it. */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

/** How long an operation may take, from when it started (monotonic ms). */
export interface Budget {
  startedAt: number;
  ms: number;
}

export function budgetOf(ms: number): Budget {
  return { startedAt: monotonicNow(), ms };
}

/** Scheduling slack between the budget's end and our 503. */
const ANSWER_MARGIN_MS = 20;
const PROBE_EVERY_MS = 1_000;

/** When we stop waiting and answer 503: a little after the budget. */
export function answerBy(budget: Budget): number {
  return budget.startedAt + budget.ms + ANSWER_MARGIN_MS;
}

/**
 * The one clock is Redis's (TIME), and on a Cluster each master has its own. This keeps, for each
 * node, how far its clock is from ours, measured every second, so that an operation can be given
 * a deadline in the clock of the node that will run it without a round trip first. Redis refuses
 * the operation after that deadline (its scripts check TIME), and we answer 503 only once the
 * deadline has passed on the node's clock, whatever our measurement's error: so a command that
 * was delayed (a stall, a pause, a failover) and runs after a 503 changes nothing.
 */
export class RedisClock {
  /**
   * Per node, the least that (its clock − our monotonic clock) can be: its TIME reading minus our
   * clock when the answer came back (the reading was taken before that).
   */
  private readonly offsets = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private probing: Promise<void> | null = null;

  constructor(private readonly redis: RedisClient) {}

  start(): void {
    this.timer ??= setInterval(() => void this.probe().catch(() => undefined), PROBE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Measures every master's clock again (one probe at a time; a caller joins the one running). */
  probe(): Promise<void> {
    this.probing ??= Promise.allSettled(
      this.masters().map(([node, client]) => this.measure(node, client)),
    ).then(() => {
      this.probing = null;
    });
    return this.probing;
  }

  /** One reading of Redis's clock, in epoch ms (for operations that are not checked by a script). */
  async now(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /**
   * The instant, on the clock of the node that holds `key`, after which the operation must not
   * take effect. It is taken from the earliest that node's clock can read now, so when our 503
   * goes out at answerBy(budget), the node's clock is surely past it.
   * Unavailable when the node's clock has never been read and cannot be now.
   */
  async deadline(key: string, budget: Budget): Promise<number> {
    const node = this.nodeOf(key);
    if (node && !this.offsets.has(node)) await withinMs(this.probe(), budget.ms);
    const offset = node ? this.offsets.get(node) : undefined;
    if (offset === undefined) throw codeError('unavailable');
    return Math.floor(budget.startedAt + offset + budget.ms);
  }

  private async measure(node: string, client: Redis): Promise<void> {
    const [seconds, micros] = await client.time();
    const received = monotonicNow();
    this.offsets.set(node, Number(seconds) * 1000 + Number(micros) / 1000 - received);
  }

  private masters(): [string, Redis][] {
    if (!(this.redis instanceof Cluster)) return [['single', this.redis]];
    return this.redis
      .nodes('master')
      .map((client) => [`${client.options.host}:${client.options.port}`, client]);
  }

  private nodeOf(key: string): string | undefined {
    if (!(this.redis instanceof Cluster)) return 'single';
    return this.redis.slots[calculateSlot(key)]?.[0];
  }
}

/**
 * Settles as `work` does, or rejects with `unavailable` at `until` (monotonic). A reply that
 * has already reached the socket when the time is up still wins: the check waits for the event
 * loop's I/O phase (setImmediate runs after it), so a use counted in time is never reported as 503.
 */
export function settleBy<T>(until: number, work: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(
      () =>
        setImmediate(() => {
          if (settled) return;
          settled = true;
          reject(codeError('unavailable'));
        }),
      Math.max(0, until - monotonicNow()),
    );
    work.then(
      (value) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function withinMs(work: Promise<void>, ms: number): Promise<void> {
  return settleBy(monotonicNow() + ms, work).catch(() => undefined);
}
