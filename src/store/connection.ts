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
        enableAutoPipelining: true,
        clusterRetryStrategy: (attempt) => Math.min(100 * attempt, 1_000),
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

/** Whether an error means Redis could not be reached (as opposed to a bug or a refused command). */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (['MaxRetriesPerRequestError', 'ClusterAllFailedError'].includes(error.name)) return true;
  return /Connection is closed|connection is not ready|Command timed out|enableOfflineQueue|ECONNREFUSED|ECONNRESET|Stream isn't writeable|Cluster(All|Down)|CLUSTERDOWN|TRYAGAIN|LOADING|Failed to refresh slots/i.test(
    error.message,
  );
}
