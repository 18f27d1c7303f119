import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCode } from '../../src/codes/code-text.js';
import {
  type ClusterNode,
  clusterNodeArgs,
  freeClusterPort,
  startTestCluster,
  type TestCluster,
} from '../support/redis-cluster.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';

/**
 * Redis Cluster refusing: a master out of memory makes readiness fail (every master is probed),
 * a master gone quiet puts the cluster down (CLUSTERDOWN), and a failover moves a master's
 * slots. Through all of it the service answers 200 or 503, never 500, and logs no error line.
 */

let cluster: TestCluster;
let service: TestService;
/** One plain connection per node, by port: to configure, inspect and pause it. */
const nodeClients = new Map<number, Redis>();
let extraNode: ChildProcess | undefined;
let extraDir: string | undefined;

beforeAll(async () => {
  cluster = await startTestCluster();
  service = await startTestService({ REDIS_CLUSTER_NODES: cluster.nodesEnv });
  for (const node of cluster.nodes) nodeClients.set(node.port, connect(node));
}, 60_000);

afterAll(async () => {
  await service?.close();
  for (const client of nodeClients.values()) client.disconnect();
  if (extraNode && extraNode.exitCode === null) {
    const exited = new Promise((resolve) => extraNode?.once('exit', resolve));
    extraNode.kill('SIGKILL');
    await exited;
  }
  if (extraDir) rmSync(extraDir, { recursive: true, force: true });
  await cluster?.stop();
}, 30_000);

function connect({ host, port }: ClusterNode): Redis {
  const client = new Redis({ host, port, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  return client;
}

function nodeClient(port: number): Redis {
  const client = nodeClients.get(port);
  if (!client) throw new Error(`no client for node ${port}`);
  return client;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(50);
  }
}

async function info(client: Redis, field: string): Promise<string | undefined> {
  const text = await client.info();
  return new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(text)?.[1];
}

const clusterState = async (client: Redis) =>
  /cluster_state:(\w+)/.exec(String(await client.cluster('INFO')))?.[1];

/** The port of the master serving `slot`, as CLUSTER SLOTS says on a node that answers. */
async function masterOfSlot(slot: number, asking: Redis): Promise<number> {
  const ranges = await asking.cluster('SLOTS');
  const master = ranges.find(([from, to]) => slot >= from && slot <= to)?.[2];
  if (!master) throw new Error(`slot ${slot} has no master`);
  return master[1];
}

const createBody = { action: 'create_device', accountId: 'a1' };

/** A code whose record lives on each master, by master port. */
async function codesOnEveryMaster(): Promise<Map<number, string>> {
  const byMaster = new Map<number, string>();
  const asking = nodeClient(cluster.nodes[0]?.port as number);
  for (let i = 0; i < 60 && byMaster.size < cluster.nodes.length; i++) {
    const created = await service.call('POST', '/api/v1/codes', { body: createBody });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const code = created.body.code as string;
    // Keys of a code are tagged {its normalised name}: that is its slot.
    const slot = (await asking.cluster('KEYSLOT', normalizeCode(code))) as number;
    const master = await masterOfSlot(slot, asking);
    if (!byMaster.has(master)) byMaster.set(master, code);
  }
  expect(byMaster.size).toBe(cluster.nodes.length);
  return byMaster;
}

const redeem = (code: string) =>
  service.call('POST', '/api/v1/redeem', { body: redeemBody(code, { name: 'x' }) });

interface LogLine {
  level: number;
  redis?: string;
}

const logsSince = (mark: number): LogLine[] =>
  service.logs.slice(mark).map((line) => JSON.parse(line));

describe('Redis Cluster refusals answer 503, never 500', () => {
  it('readiness writes to every master: one master out of memory makes it 503', async () => {
    const codes = await codesOnEveryMaster();
    const mark = service.logs.length;
    for (const { port } of cluster.nodes) {
      const master = nodeClient(port);
      // A limit under the memory in use: the master is full (a limit just above it would fill
      // up only after some writes, and usage moves a little between commands).
      const used = Number(await info(master, 'used_memory'));
      await master.config('SET', 'maxmemory', String(Math.floor(used / 2)));
      try {
        const ready = await service.call('GET', '/readyz');
        expect(ready.status, `master ${port} out of memory`).toBe(503);
        expect(ready.body).toEqual({ status: 'redis unavailable', reason: 'OOM' });
        const refused = await redeem(codes.get(port) as string);
        expect(refused.status).toBe(503);
        expect(refused.body.error).toBe('unavailable');
        // A code on another master still redeems.
        const elsewhere = [...codes].find(([other]) => other !== port)?.[1] as string;
        expect((await redeem(elsewhere)).status).toBe(200);
      } finally {
        await master.config('SET', 'maxmemory', '0');
      }
      const ready = await service.call('GET', '/readyz');
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready' });
      expect((await redeem(codes.get(port) as string)).status).toBe(200);
    }
    expect(logsSince(mark).filter((line) => line.level >= 50)).toEqual([]);
    expect(logsSince(mark).some((line) => line.level === 40 && line.redis === 'OOM')).toBe(true);
  });

  it('CLUSTERDOWN: a master stops answering, the others declare the cluster down', async () => {
    const codes = await codesOnEveryMaster();
    const [paused, live] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode];
    const liveClient = nodeClient(live.port);
    const pid = Number(await info(nodeClient(paused.port), 'process_id'));
    const mark = service.logs.length;
    process.kill(pid, 'SIGSTOP');
    try {
      // After cluster-node-timeout (2 s) the other masters agree it failed: no master for its slots.
      await until('the cluster is down', async () => (await clusterState(liveClient)) === 'fail');
      const started = Date.now();
      const [onLive, onPaused, created, ready] = await Promise.all([
        redeem(codes.get(live.port) as string),
        redeem(codes.get(paused.port) as string),
        service.call('POST', '/api/v1/codes', { body: createBody }),
        service.call('GET', '/readyz'),
      ]);
      // SPEC §2: within 5 s (ioredis would retry CLUSTERDOWN while it refreshes its slot map,
      // which waits on the silent master, but for createRedis's retryDelayOnClusterDown: 0).
      expect(Date.now() - started).toBeLessThan(5_000);
      for (const answer of [onLive, onPaused, created]) {
        expect(answer.status, JSON.stringify(answer.body)).toBe(503);
        expect(answer.body.error).toBe('unavailable');
      }
      expect(ready.status).toBe(503);
      expect(['CLUSTERDOWN', 'timeout']).toContain(ready.body.reason);
      const lines = logsSince(mark);
      expect(lines.filter((line) => line.level >= 50)).toEqual([]);
      expect(lines.some((line) => line.level === 40 && line.redis === 'CLUSTERDOWN')).toBe(true);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await until(
      'every node says cluster_state:ok',
      async () =>
        (await Promise.all(cluster.nodes.map(({ port }) => clusterState(nodeClient(port))))).every(
          (state) => state === 'ok',
        ),
      20_000,
    );
    await until(
      '/readyz answers 200',
      async () => (await service.call('GET', '/readyz')).status === 200,
    );
    for (const code of codes.values()) expect((await redeem(code)).status).toBe(200);
    expect((await service.call('POST', '/api/v1/codes', { body: createBody })).status).toBe(201);
    expect(logsSince(mark).filter((line) => line.level >= 50)).toEqual([]);
  }, 45_000);

  it('a manual failover under load: every answer is 200 or 503, never 500', async () => {
    const codes = await codesOnEveryMaster();
    const master = cluster.nodes[0] as ClusterNode;
    const masterClient = nodeClient(master.port);
    const masterId = String(await masterClient.cluster('MYID'));
    await masterClient.config('SET', 'repl-diskless-sync-delay', '0');
    const replica = await startReplicaOf(master, masterId);

    const mark = service.logs.length;
    const statuses: number[] = [];
    let running = true;
    const worker = async () => {
      while (running) {
        for (const code of codes.values()) statuses.push((await redeem(code)).status);
        statuses.push((await service.call('POST', '/api/v1/codes', { body: createBody })).status);
      }
    };
    const load = Promise.all([worker(), worker(), worker()]);
    try {
      await sleep(300);
      await replica.cluster('FAILOVER');
      await until('the replica took over', async () => (await info(replica, 'role')) === 'master');
      await until(
        'the old master follows it',
        async () => (await info(masterClient, 'role')) === 'slave',
      );
      await sleep(1_000);
    } finally {
      running = false;
      await load;
    }

    expect(statuses.length).toBeGreaterThan(20);
    const unexpected = statuses.filter((status) => ![200, 201, 503].includes(status));
    expect(unexpected).toEqual([]);
    expect(logsSince(mark).filter((line) => line.level >= 50)).toEqual([]);

    // The moved slots answer from the new master.
    const code = codes.get(master.port) as string;
    const after = await redeem(code);
    expect(after.status, JSON.stringify(after.body)).toBe(200);
    const ready = await service.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(
      await masterOfSlot(
        (await replica.cluster('KEYSLOT', normalizeCode(code))) as number,
        replica,
      ),
    ).toBe(replica.options.port);
  }, 45_000);
});

/** A fourth node, made a replica of `master`, in sync. */
async function startReplicaOf(master: ClusterNode, masterId: string): Promise<Redis> {
  const port = await freeClusterPort();
  extraDir = mkdtempSync(join(tmpdir(), 'installcode-replica-'));
  extraNode = spawn('redis-server', clusterNodeArgs(port, extraDir), { stdio: 'ignore' });
  const replica = connect({ host: '127.0.0.1', port });
  nodeClients.set(port, replica);
  await until('the new node answers', async () => (await replica.ping()) === 'PONG');
  await replica.cluster('MEET', master.host, master.port);
  await until('the new node knows the master', async () =>
    String(await replica.cluster('NODES')).includes(masterId),
  );
  const replicaId = String(await replica.cluster('MYID'));
  await until('the replica is in sync', async () => {
    await replica.cluster('REPLICATE', masterId).catch(() => undefined);
    return (await info(replica, 'master_link_status')) === 'up';
  });
  // The masters elect it only once they all know it as the master's replica.
  await until('every master knows the replica', async () =>
    (
      await Promise.all(
        cluster.nodes.map(async ({ port: other }) =>
          String(await nodeClient(other).cluster('NODES'))
            .split('\n')
            .some((line) => line.startsWith(replicaId) && line.includes(`slave ${masterId}`)),
        ),
      )
    ).every(Boolean),
  );
  return replica;
}
