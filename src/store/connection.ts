import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { defineScripts } from './scripts/index.js';

export type RedisClient = Redis | Cluster;

export interface ConnectionOptions {
  url?: string;
  clusterNodes?: { host: string; port: number }[];
}

/**
 * Fail fast rather than queue: with Redis gone, a command is refused at once (no offline queue).
 * How long to wait for an answer is the operation's budget (use-cases/code-service.ts), not the
 * client's: a command the client gave up on may still run in time, so its timeout is longer than
 * every budget and only catches what has none. The client keeps reconnecting on its own, so
 * service resumes when Redis returns.
 */
const COMMAND_TIMEOUT_MS = 4_000;
const CONNECT_TIMEOUT_MS = 2_000;
const clientOptions: RedisOptions = {
  enableOfflineQueue: false,
  enableAutoPipelining: true,
  maxRetriesPerRequest: 1,
  commandTimeout: COMMAND_TIMEOUT_MS,
  connectTimeout: CONNECT_TIMEOUT_MS,
  retryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
};

export function createRedis(options: ConnectionOptions): RedisClient {
  const client = options.clusterNodes
    ? new Cluster(options.clusterNodes, {
        enableOfflineQueue: false,
        // Not on a Cluster: ioredis batches by node and, on a MOVED during a failover, re-sends
        // the whole batch, which fails ("All keys in the pipeline should belong to the same slots
        // allocation group") after other slots' commands ran (ioredis#2075, #1264).
        enableAutoPipelining: false,
        clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
        // A cluster that is down answers 503 now, rather than after retries past every budget.
        retryDelayOnClusterDown: 0,
        redisOptions: clientOptions,
      })
    : new Redis(options.url ?? 'redis://127.0.0.1:6379', { ...clientOptions, lazyConnect: true });
  defineScripts(client);
  return client;
}

/** Resolves once the client is ready to take commands (the first connection may take a moment). */
export async function connectRedis(client: RedisClient, timeoutMs = 10_000): Promise<void> {
  if (client.status === 'ready') return;
  if (client instanceof Redis && client.status === 'wait') client.connect().catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
    };
    client.on('ready', onReady);
  });
}

/**
 * Redis's refusals: error codes with which it declines a command it did not run, for a while
 * (memory full, a replica, a failed save, a restart's loading, a busy script, too few replicas,
 * a cluster that is down or moving a slot). Retrying later, or elsewhere, may succeed.
 */
const REFUSALS = new Set([
  'OOM',
  'READONLY',
  'MISCONF',
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'NOREPLICAS',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'MOVED',
  'ASK',
]);

/**
 * The error code opening a reply error, also when it is a script's inner error: Redis 7 keeps
 * the inner code first ("OOM command not allowed … script: <sha>, on @user_script:1."); Redis 6
 * wraps it ("ERR Error running script (call to f_<sha>): @user_script:1: -OOM command …").
 */
const REPLY_CODE =
  /^(?:ERR Error running script \(call to (?:f_)?[0-9a-f]+\): (?:@user_script: ?\d+: )+-)?([A-Z]+)(?: |$)/;

/** ioredis's own errors for a command that never left: no connection, or no cluster slot map yet. */
const NOT_SENT =
  /^(?:Stream isn't writeable|Cluster isn't ready|None of startup nodes is available|Failed to refresh slots cache)/;
/** ioredis's own errors for a command whose answer was lost: it may have run. */
const ANSWER_LOST =
  /^(?:Connection is closed|Command timed out|Command aborted due to connection close|connect ETIMEDOUT|Redis did not answer within|All keys in the pipeline should belong to the same slots allocation group)/;
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

export interface RedisFailure {
  /** A refusal's code (`OOM`, `READONLY`, …), `unreachable`, or `cluster` (no usable slot map). */
  kind: string;
  /** False when Redis certainly did not run the command (a refusal, or it was never sent). */
  mayHaveRun: boolean;
}

/**
 * What an error says about Redis, when it means Redis could not take the command for now (as
 * opposed to a bug, or a command that Redis rejects whatever its state): null otherwise.
 */
export function redisFailureOf(error: unknown): RedisFailure | null {
  if (!(error instanceof Error)) return null;
  const code = REPLY_CODE.exec(error.message)?.[1];
  if (code && REFUSALS.has(code)) return { kind: code, mayHaveRun: false };
  if (error.name === 'ClusterAllFailedError') return { kind: 'cluster', mayHaveRun: false };
  if (error.name === 'MaxRetriesPerRequestError') return { kind: 'unreachable', mayHaveRun: true };
  // ioredis Cluster gave up following MOVED/ASK/TRYAGAIN/CLUSTERDOWN answers: say which.
  const redirected = /^Too many Cluster redirections\. Last error: (?:\w*Error: )?(.*)$/s.exec(
    error.message,
  );
  if (redirected) {
    const last = REPLY_CODE.exec(redirected[1] ?? '')?.[1];
    return last && REFUSALS.has(last)
      ? { kind: last, mayHaveRun: false }
      : { kind: 'cluster', mayHaveRun: true };
  }
  if (NOT_SENT.test(error.message)) return { kind: 'unreachable', mayHaveRun: false };
  if (ANSWER_LOST.test(error.message)) return { kind: 'unreachable', mayHaveRun: true };
  const errno = (error as NodeJS.ErrnoException).code;
  if (errno && SOCKET_ERRORS.has(errno)) return { kind: 'unreachable', mayHaveRun: true };
  return null;
}

/** Whether an error means Redis could not be reached or refused the command for now (503, not 500). */
export function isRedisUnavailable(error: unknown): boolean {
  return redisFailureOf(error) !== null;
}
