import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { connectRedis, createRedis, type RedisClient } from '../../src/store/connection.js';
import { checkEvictionPolicy, EvictionPolicyRefused } from '../../src/store/eviction-policy.js';
import { startTestCluster, type TestCluster } from '../support/redis-cluster.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';

/** A logger whose warnings the test can read. */
function recordingLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = createLogger('info', { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg) };
}

async function connected(url: string): Promise<RedisClient> {
  const redis = createRedis({ url });
  await connectRedis(redis);
  return redis;
}

describe('checkEvictionPolicy on one Redis', () => {
  const servers = new Map<string, TestRedis>();
  const clients: RedisClient[] = [];

  beforeAll(async () => {
    for (const policy of ['noeviction', 'allkeys-lru', 'volatile-lru']) {
      servers.set(policy, await startTestRedis(['--maxmemory-policy', policy]));
    }
    servers.set('no CONFIG', await startTestRedis(['--rename-command', 'CONFIG', '']));
  });
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await Promise.all([...servers.values()].map((server) => server.stop()));
  });

  const clientOf = async (name: string) => {
    const client = await connected(servers.get(name)?.url ?? '');
    clients.push(client);
    return client;
  };

  it('lets noeviction through without a word', async () => {
    const { logger, warnings } = recordingLogger();
    await checkEvictionPolicy(await clientOf('noeviction'), false, logger);
    expect(warnings()).toEqual([]);
  });

  it.each(['allkeys-lru', 'volatile-lru'])(
    'refuses %s with one line saying what to do',
    async (policy) => {
      const { logger } = recordingLogger();
      const checking = checkEvictionPolicy(await clientOf(policy), false, logger);
      await expect(checking).rejects.toBeInstanceOf(EvictionPolicyRefused);
      const error = (await checking.catch((e: Error) => e)) as Error;
      expect(error.message).toContain(`maxmemory-policy ${policy}`);
      expect(error.message).toContain(`127.0.0.1:${servers.get(policy)?.port}`);
      expect(error.message).toContain('noeviction');
      expect(error.message).toContain('REDIS_ALLOW_EVICTION=on');
      expect(error.message).not.toContain('\n');
    },
  );

  it('accepts allkeys-lru with REDIS_ALLOW_EVICTION=on, and warns', async () => {
    const { logger, warnings } = recordingLogger();
    await checkEvictionPolicy(await clientOf('allkeys-lru'), true, logger);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain('REDIS_ALLOW_EVICTION=on');
  });

  it('starts where CONFIG is disabled, warning once that it could not check', async () => {
    const { logger, warnings } = recordingLogger();
    const client = await clientOf('no CONFIG');
    await expect(client.config('GET', 'maxmemory-policy')).rejects.toThrow(/unknown command/i);
    await checkEvictionPolicy(client, false, logger);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(/could not read maxmemory-policy/);
  });
});

describe('checkEvictionPolicy on Redis Cluster', () => {
  let cluster: TestCluster;
  let redis: RedisClient;

  beforeAll(async () => {
    cluster = await startTestCluster();
    redis = createRedis({ clusterNodes: cluster.nodes });
    await connectRedis(redis);
  }, 60_000);
  afterAll(async () => {
    redis?.disconnect();
    await cluster?.stop();
  });

  it('checks every master: one on allkeys-lru is enough to refuse', async () => {
    const { logger, warnings } = recordingLogger();
    await checkEvictionPolicy(redis, false, logger);
    expect(warnings()).toEqual([]);

    const last = cluster.nodes.at(-1);
    const node = new Redis({ host: last?.host, port: last?.port });
    try {
      await node.config('SET', 'maxmemory-policy', 'allkeys-lru');
    } finally {
      node.disconnect();
    }
    await expect(checkEvictionPolicy(redis, false, logger)).rejects.toThrow(
      `Redis at 127.0.0.1:${last?.port} has maxmemory-policy allkeys-lru`,
    );
  });
});
