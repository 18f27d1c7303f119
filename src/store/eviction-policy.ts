import { Cluster, type Redis, ReplyError } from 'ioredis';
import type { Logger } from '../log.js';
import { connectRedis, type RedisClient } from './connection.js';

/** SPEC §5: a Redis that may evict keys would lose codes without a trace, so we do not start. */
export class EvictionPolicyRefused extends Error {
  constructor(where: string, policy: string) {
    super(
      `Redis at ${where} has maxmemory-policy ${policy}, so it may evict codes silently: ` +
        'set maxmemory-policy noeviction, or set REDIS_ALLOW_EVICTION=on to accept the risk.',
    );
  }
}

/**
 * Throws EvictionPolicyRefused unless every master says `noeviction` or eviction is allowed.
 * Where CONFIG is renamed or denied (managed services), warns once that it could not check.
 */
export async function checkEvictionPolicy(
  redis: RedisClient,
  allowEviction: boolean,
  logger: Logger,
): Promise<void> {
  const masters = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const policies = await Promise.all(masters.map(readEvictionPolicy));
  const unknown = policies.filter((p) => p.policy === null);
  const evicting = policies.filter(evicts);
  if (allowEviction) {
    for (const { where, policy } of evicting) {
      logger.warn({ redis: where, policy }, 'Redis may evict codes (REDIS_ALLOW_EVICTION=on)');
    }
    return;
  }
  const [first] = evicting;
  if (first) throw new EvictionPolicyRefused(first.where, first.policy);
  if (unknown.length > 0) {
    logger.warn(
      { redis: unknown.map((p) => p.where), err: unknown[0]?.reason },
      'could not read maxmemory-policy (CONFIG is not available): unless it is noeviction, ' +
        'Redis may evict codes silently',
    );
  }
}

/** A master's maxmemory-policy, or null and why when it refused CONFIG GET. */
type NodePolicy =
  | { where: string; policy: string }
  | { where: string; policy: null; reason: string };

function evicts(node: NodePolicy): node is NodePolicy & { policy: string } {
  return node.policy !== null && node.policy !== 'noeviction';
}

async function readEvictionPolicy(node: Redis): Promise<NodePolicy> {
  const where = `${node.options.host}:${node.options.port}`;
  // A cluster's client connects to each master only when first asked something.
  await connectRedis(node);
  try {
    const [, policy] = (await node.config('GET', 'maxmemory-policy')) as string[];
    return policy ? { where, policy } : { where, policy: null, reason: 'CONFIG GET gave nothing' };
  } catch (error) {
    // A refusal (renamed or ACL-denied command) is an answer; a lost connection is not.
    if (!(error instanceof ReplyError)) throw error;
    return { where, policy: null, reason: (error as Error).message };
  }
}
