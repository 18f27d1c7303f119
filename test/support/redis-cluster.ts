import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { redisAnswers } from '../../src/store/embedded-redis.js';
import { freePort } from './redis-server.js';

export interface ClusterNode {
  host: string;
  port: number;
}

export interface TestCluster {
  nodes: ClusterNode[];
  /** `127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`, as REDIS_CLUSTER_NODES takes it. */
  nodesEnv: string;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const MASTERS = 3;
/** Redis Cluster's bus listens on the client port + 10000. */
const BUS_OFFSET = 10_000;
const STATE_OK_TIMEOUT_MS = 20_000;

/** Whether `port` can be bound on loopback right now. */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (port + 10000) is free too, and distinct from `taken`. */
export async function freeClusterPort(taken = new Set<number>()): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await freePort();
    if (port + BUS_OFFSET > 65_535 || taken.has(port) || taken.has(port + BUS_OFFSET)) continue;
    if (await portIsFree(port + BUS_OFFSET)) return port;
  }
  throw new Error('found no free port P below 55535 whose cluster bus port P+10000 is free too');
}

/** A cluster node on loopback that keeps nothing on disk, its nodes.conf in `dir`. */
export function clusterNodeArgs(port: number, dir: string): string[] {
  return [
    '--port',
    String(port),
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    join(dir, `nodes-${port}.conf`),
    '--cluster-node-timeout',
    '2000',
    '--save',
    '',
    '--appendonly',
    'no',
    '--bind',
    HOST,
    '--dir',
    dir,
  ];
}

function run(
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) {
        reject(Object.assign(error, { stdout: String(stdout), stderr: String(stderr) }));
      } else {
        resolve({ stdout: String(stdout), stderr: String(stderr) });
      }
    });
  });
}

async function requireProgram(name: string, install: string): Promise<void> {
  try {
    await run(name, ['--version'], 5_000);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${name} is not installed: install it (${install}) to run the cluster tests`);
    }
    throw error;
  }
}

/**
 * A real Redis Cluster of three masters (no replicas) on loopback, each a redis-server child on
 * a free port, keeping nothing but its cluster config in a temporary directory.
 */
export async function startTestCluster(): Promise<TestCluster> {
  await requireProgram('redis-server', 'apt-get install redis-server');
  await requireProgram('redis-cli', 'apt-get install redis-tools');

  const dir = await mkdtemp(join(tmpdir(), 'installcode-cluster-'));
  const children: ChildProcess[] = [];
  const nodes: ClusterNode[] = [];

  const stop = async () => {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    children.length = 0;
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const taken = new Set<number>();
    for (let i = 0; i < MASTERS; i++) {
      const port = await freeClusterPort(taken);
      taken.add(port).add(port + BUS_OFFSET);
      nodes.push({ host: HOST, port });
    }
    for (const { port } of nodes) {
      const child = spawn('redis-server', clusterNodeArgs(port, dir), { stdio: 'ignore' });
      children.push(child);
    }
    await Promise.all(nodes.map(({ port }) => waitForServer(port)));

    try {
      await run(
        'redis-cli',
        [
          '--cluster',
          'create',
          ...nodes.map(({ host, port }) => `${host}:${port}`),
          '--cluster-replicas',
          '0',
          '--cluster-yes',
        ],
        20_000,
      );
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(
        `redis-cli --cluster create failed: ${(error as Error).message}\n${stdout}\n${stderr}`,
      );
    }
    await waitForClusterOk(nodes);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    nodes,
    nodesEnv: nodes.map(({ host, port }) => `${host}:${port}`).join(','),
    stop,
  };
}

async function waitForServer(port: number): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await redisAnswers(`redis://${HOST}:${port}`, 200)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server (cluster node) did not start on port ${port}`);
}

/** Waits until every node says cluster_state:ok, or fails naming the nodes that did not. */
async function waitForClusterOk(nodes: ClusterNode[]): Promise<void> {
  const clients = nodes.map(
    ({ host, port }) => new Redis({ host, port, maxRetriesPerRequest: 1, lazyConnect: true }),
  );
  for (const client of clients) client.on('error', () => undefined);
  const states = new Map<number, string>();
  try {
    const deadline = Date.now() + STATE_OK_TIMEOUT_MS;
    while (Date.now() < deadline) {
      await Promise.all(
        clients.map(async (client, i) => {
          const info = await client.cluster('INFO').catch((e: Error) => `error: ${e.message}`);
          const state = /cluster_state:(\w+)/.exec(String(info))?.[1] ?? String(info);
          states.set(nodes[i]?.port ?? 0, state);
        }),
      );
      if ([...states.values()].every((state) => state === 'ok')) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    const report = [...states].map(([port, state]) => `${port}: ${state}`).join(', ');
    throw new Error(
      `Redis Cluster did not reach cluster_state:ok within ${STATE_OK_TIMEOUT_MS / 1000} s (${report})`,
    );
  } finally {
    for (const client of clients) client.disconnect();
  }
}
