import type { Logger } from '../log.js';
import type { RedisClient } from './connection.js';
import type { RedisClock } from './redis-clock.js';
import {
  claimTasksScript,
  finishTaskScript,
  makeDueScript,
  renewLeaseScript,
} from './scripts/index.js';

/**
 * What a task does when it is due. `subject` is the task's name after its kind (`card:ID` → `ID`).
 * It answers when it is due again (epoch ms of Redis's clock), or null for never.
 */
export type TaskHandler = (subject: string, now: number) => Promise<number | null>;

export interface ScheduleOptions {
  /** How often each replica looks for due tasks: the most a task is late by, besides its work. */
  pollMs?: number;
  /**
   * How long a claimed task is left to its replica before another one takes it over, unless the
   * replica renews the lease (it does every third of it while the task runs): so, how long the
   * tasks of a replica that died wait.
   */
  leaseMs?: number;
  /** How long a run may keep renewing its lease: a handler stuck longer loses its task. */
  maxRunMs?: number;
  /** How many due tasks one poll claims. */
  batch?: number;
  /** Whether a poll's tasks run side by side (each must then be independent of the others). */
  concurrent?: boolean;
}

/** After a task failed (Slack refusing, say), when it is tried again. */
const RETRY_AFTER_MS = 30_000;
const LEASE_MS = 10_000;
const MAX_RUN_MS = 10 * 60_000;
/** Polls of a concurrent schedule at once: so at most this many times `batch` runs in flight. */
const CONCURRENT_POLLS = 4;

/**
 * Things that must happen at an instant (a shared card turning "expired", the App Home after a
 * change, a reminder), kept in Redis as a sorted set of task → due instant. Every replica polls
 * it and claims due tasks atomically with a lease, renewed while the task runs: a task is never
 * lost across a restart (it stays in the set until it is done), and taken over by another replica
 * within a lease (LEASE_MS) if the one running it dies. Asked for while it runs, it runs again
 * after that run: never by two replicas at once, unless its replica loses its lease (stalled, or
 * cut off from Redis, for longer than a lease; or a run beyond MAX_RUN_MS). Tasks are "make it
 * right now" (render the card as the code stands), so running one again does no harm. Redis's
 * clock, not ours.
 */
export class Schedule {
  private readonly handlers = new Map<string, TaskHandler>();
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly maxRunMs: number;
  private readonly batch: number;
  private readonly concurrent: boolean;
  private timer: NodeJS.Timeout | null = null;
  /** The polls under way: one at most, or CONCURRENT_POLLS for a concurrent schedule. */
  private readonly polls = new Set<Promise<void>>();
  /** When the latest poll started (performance.now()). */
  private lastPollAt = 0;
  /** This replica's runs under way, by task. */
  private readonly underWay = new Map<string, Promise<boolean>>();
  private stopped = false;

  constructor(
    private readonly redis: RedisClient,
    /** The sorted set of this schedule's tasks (keys.schedule, keys.eventSchedule). */
    private readonly key: string,
    private readonly clock: RedisClock,
    private readonly logger: Logger,
    options: ScheduleOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1_000;
    this.leaseMs = options.leaseMs ?? LEASE_MS;
    this.maxRunMs = options.maxRunMs ?? MAX_RUN_MS;
    this.batch = options.batch ?? 20;
    this.concurrent = options.concurrent ?? false;
  }

  /** Runs `handler` for each due task named `kind:…`. */
  handle(kind: string, handler: TaskHandler): void {
    this.handlers.set(kind, handler);
  }

  /**
   * Makes `kind:subject` due at `instant`, or keeps it sooner if it already is. A task under way
   * runs again once that run ends, never alongside it.
   */
  async at(kind: string, subject: string, instant: number): Promise<void> {
    await makeDueScript.run(
      this.redis,
      { schedule: this.key },
      { task: `${kind}:${subject}`, instant: Math.round(instant) },
    );
  }

  /**
   * Makes it due at once (and looks at once, if this replica is not busy). Any past instant will
   * do, so 0: no read of the clock, one script call, also on a redemption's path.
   */
  async now(kind: string, subject: string): Promise<void> {
    await this.at(kind, subject, 0);
    this.poll();
  }

  /** Makes `kind:subject` due at once unless it is scheduled already (a task that reschedules itself). */
  async ensure(kind: string, subject: string): Promise<void> {
    await this.redis.zadd(this.key, 'NX', 0, `${kind}:${subject}`);
  }

  /** When `kind:subject` is due, or null when it is not scheduled. */
  async dueAt(kind: string, subject: string): Promise<number | null> {
    const score = await this.redis.zscore(this.key, `${kind}:${subject}`);
    return score === null ? null : Number(score);
  }

  start(): void {
    this.stopped = false;
    this.timer ??= setInterval(() => this.poll(), this.pollMs);
    this.timer.unref();
  }

  /** Stops polling and waits for the tasks under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.polls]);
  }

  /**
   * One poll at a time, or a few for a concurrent schedule: a poll waits for every task it
   * claimed, so one task that hangs (a webhook receiver that never answers, until its timeout)
   * must not hold back the others due meanwhile for longer than a period. A poll that finds no
   * room leaves the work to those under way. None once stopped (a task made due while shutting
   * down is left in Redis for the other replicas).
   */
  poll(): void {
    if (this.stopped || this.polls.size >= (this.concurrent ? CONCURRENT_POLLS : 1)) return;
    // Beside a poll under way, only once it has taken a whole period: so a busy replica's polls
    // still claim in batches, and one that hangs holds the rest back a period at most.
    if (this.polls.size > 0 && performance.now() - this.lastPollAt < this.pollMs) return;
    this.lastPollAt = performance.now();
    const poll: Promise<void> = this.runDue()
      .catch((error: unknown) => {
        this.logger.warn({ err: (error as Error).message }, 'schedule poll failed');
      })
      .finally(() => this.polls.delete(poll));
    this.polls.add(poll);
  }

  /** Claims the due tasks and runs them (one after another unless concurrent); for tests, awaitable. */
  async runDue(): Promise<void> {
    for (;;) {
      const now = await this.clock.now();
      const claimed = await claimTasksScript.run(
        this.redis,
        { schedule: this.key },
        { now, leaseMs: this.leaseMs, limit: this.batch },
      );
      const runs: Promise<boolean>[] = [];
      let askedAgain = false;
      for (let i = 0; i < claimed.length; i += 2) {
        const run = this.run(claimed[i] as string, claimed[i + 1] as string);
        if (this.concurrent) runs.push(run);
        else askedAgain = (await run) || askedAgain;
      }
      askedAgain = (await Promise.all(runs)).includes(true) || askedAgain;
      // A task asked for while it ran is due at once: claimed in this poll, not the next (unless
      // stopping: then the other replicas take it).
      if (this.stopped || (claimed.length < this.batch * 2 && !askedAgain)) return;
    }
  }

  /**
   * Runs a claimed task, after this replica's own run of it if one is still under way (its lease
   * ran out beneath it: Redis's clock stepped forward, say), so that no replica overlaps itself.
   */
  private run(task: string, claimed: string): Promise<boolean> {
    const before = this.underWay.get(task);
    const run = before
      ? before.catch(() => false).then(() => this.runOnce(task, claimed))
      : this.runOnce(task, claimed);
    this.underWay.set(task, run);
    const forget = () => {
      if (this.underWay.get(task) === run) this.underWay.delete(task);
    };
    run.then(forget, forget);
    return run;
  }

  /** Runs a claimed task; answers whether it was asked for again while it ran. */
  private async runOnce(task: string, claimed: string): Promise<boolean> {
    const lease = this.keepLease(task, claimed);
    let next: number | null;
    try {
      next = await this.runHandler(task);
    } finally {
      // Renewing stops with the run, however it ended (else the task stays leased for nothing).
      claimed = await lease.end();
    }
    const finished = await finishTaskScript.run(
      this.redis,
      { schedule: this.key },
      { task, lease: claimed, next: next === null ? '' : Math.round(next) },
    );
    return finished === 2;
  }

  /** The task's handler: when it is due again; a failed one is retried later. */
  private async runHandler(task: string): Promise<number | null> {
    const split = task.indexOf(':');
    const kind = task.slice(0, split);
    const handler = this.handlers.get(kind);
    try {
      // A task of a kind this replica does not handle (an older version's) is dropped.
      return handler ? await handler(task.slice(split + 1), await this.clock.now()) : null;
    } catch (error) {
      this.logger.warn({ kind, err: (error as Error).message }, 'scheduled task failed; retrying');
      return (await this.clock.now()) + RETRY_AFTER_MS;
    }
  }

  /**
   * Renews a run's lease every third of it, for at most maxRunMs, so that no other replica takes
   * the task over while this one works on it. `end()` stops renewing and answers the lease.
   */
  private keepLease(task: string, claimed: string) {
    let lease = claimed;
    let renewal: Promise<void> = Promise.resolve();
    const renew = async () => {
      const renewed = await renewLeaseScript
        .run(this.redis, { schedule: this.key }, { task, lease, leaseMs: this.leaseMs })
        .catch(() => null); // Redis away: the lease may run out, and the task be taken over.
      if (renewed) lease = renewed;
      else if (renewed === '') this.logger.warn({ task: task.split(':')[0] }, 'task taken over');
    };
    const timer = setInterval(() => {
      renewal = renewal.then(renew);
    }, this.leaseMs / 3).unref();
    const stop = setTimeout(() => clearInterval(timer), this.maxRunMs).unref();
    return {
      end: async () => {
        clearInterval(timer);
        clearTimeout(stop);
        await renewal;
        return lease;
      },
    };
  }
}
