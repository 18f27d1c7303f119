import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';

export interface EmbeddedRedis {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Written by redis-server in the data dir, so a later start can tell the server is ours. */
const PID_FILE = 'redis-server.pid';
const STOP_TIMEOUT_MS = 10_000;

export class RedisServerMissing extends Error {
  constructor(port: number) {
    super(
      `Nothing answers on redis://127.0.0.1:${port} and redis-server is not installed: ` +
        'install it (apt-get install redis-server, or brew install redis) or set REDIS_URL.',
    );
  }
}

/** Whether a Redis server answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs = 1_000): Promise<boolean> {
  const probe = probeClient(url, timeoutMs);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** A one-off connection that gives up at once rather than reconnecting. */
function probeClient(url: string, timeoutMs: number): Redis {
  const probe = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  probe.on('error', () => undefined);
  return probe;
}

/**
 * A redis-server child for `npm start` on a machine with no Redis running: data in `dir` with
 * the append-only file on (fsync every second), stopped (and flushed) when the service stops.
 */
export async function startEmbeddedRedis(options: {
  port: number;
  dir: string;
}): Promise<EmbeddedRedis> {
  const dir = resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(options.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--protected-mode',
      'yes',
      '--pidfile',
      join(dir, PID_FILE),
      // Evicting would lose codes silently (SPEC §5).
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await new Promise<void>((resolveSpawn, reject) => {
    child.once('spawn', resolveSpawn);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new RedisServerMissing(options.port) : error),
    );
  });
  const url = `redis://127.0.0.1:${options.port}`;
  await waitUntilAnswering(url, child);
  return { url, pid: child.pid as number, stop: () => stopChild(child) };
}

/**
 * The redis-server an earlier start left running on `port` when it was killed before it could
 * stop it: the process named in our pid file, keeping its data in `dir`. Null when whatever
 * answers there is someone else's, or the pid file is stale.
 */
export async function adoptEmbeddedRedis(options: {
  port: number;
  dir: string;
}): Promise<EmbeddedRedis | null> {
  const dir = resolve(options.dir);
  const pid = readPidFile(dir);
  const url = `redis://127.0.0.1:${options.port}`;
  if (pid === null || !(await serverIs(url, pid, dir))) return null;
  return { url, pid, stop: () => stopProcess(pid) };
}

function readPidFile(dir: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(join(dir, PID_FILE), 'utf8'), 10);
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Whether the server at `url` is process `pid` with its data in `dir`. */
async function serverIs(url: string, pid: number, dir: string): Promise<boolean> {
  const probe = probeClient(url, 1_000);
  try {
    await probe.connect();
    const info = await probe.info('server');
    if (Number(/^process_id:(\d+)/m.exec(info)?.[1]) !== pid) return false;
    const [, serverDir] = (await probe.config('GET', 'dir')) as string[];
    return serverDir === realpathSync(dir);
  } catch {
    // We start ours with INFO and CONFIG available: a server refusing them is not ours.
    return false;
  } finally {
    probe.disconnect();
  }
}

async function waitUntilAnswering(url: string, child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    if (await redisAnswers(url, 200)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not answer on ${url} within 10 s`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    const force = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(force);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}

/** Stops a redis-server that is not our child, so no exit event: we watch for the process to go. */
async function stopProcess(pid: number): Promise<void> {
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (isRunning(pid)) {
    if (Date.now() > deadline) signal(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 50));
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Whether process `pid` is alive; an exited orphan that nobody has reaped yet is not. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): kill(0) is all we know
  }
}
