import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { redisAnswers } from '../../src/store/embedded-redis.js';
import { buildClockShift, createClockShiftFile, writeClockShift } from './clock-shift.js';

/** A free TCP port on loopback, as the OS hands one out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestRedis {
  url: string;
  port: number;
  /** Kills the server at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /**
   * Sets the server's wall clock to real time + `offsetMs` (negative: behind), without a restart;
   * resolves once Redis's TIME says so. Needs `{ clockShift: true }`; survives kill() and start().
   */
  shiftClock(offsetMs: number): Promise<void>;
}

export interface TestRedisOptions {
  /** Run redis-server under the clock-shift shim, so that the test can step its clock. */
  clockShift?: boolean;
}

/** A real redis-server of the test's own, on a free port, keeping nothing on disk. */
export async function startTestRedis(
  extraArgs: string[] = [],
  options: TestRedisOptions = {},
): Promise<TestRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const clockShiftFile = options.clockShift ? createClockShiftFile() : null;
  const env = clockShiftFile
    ? { ...process.env, LD_PRELOAD: await buildClockShift(), CLOCK_SHIFT_FILE: clockShiftFile }
    : process.env;

  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        ...extraArgs,
      ],
      { stdio: 'ignore', env },
    );
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await redisAnswers(url, 200)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${port}`);
  };
  const signal = async (name: NodeJS.Signals) => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill(name);
    });
  };

  const shiftClock = async (offsetMs: number) => {
    if (!clockShiftFile) {
      throw new Error(
        'shiftClock needs a server started with startTestRedis(args, { clockShift: true })',
      );
    }
    await writeClockShift(clockShiftFile, offsetMs);
    await untilRedisTimeIsShifted(url, offsetMs);
  };

  await start();
  return {
    url,
    port,
    start,
    kill: () => signal('SIGKILL'),
    stop: () => signal('SIGTERM'),
    shiftClock,
  };
}

/** Waits until Redis's TIME reads real time + `offsetMs`, within the round trip of asking. */
async function untilRedisTimeIsShifted(url: string, offsetMs: number): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let lastSeenMs = 0;
    for (let attempt = 0; attempt < 100; attempt++) {
      const askedAt = Date.now();
      const [seconds, micros] = await redis.time();
      const answeredAt = Date.now();
      // Date.now() truncates to the millisecond: allow 1 ms either side.
      lastSeenMs = Number(seconds) * 1000 + Number(micros) / 1000 - offsetMs;
      if (lastSeenMs >= askedAt - 1 && lastSeenMs <= answeredAt + 1) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(
      `Redis's TIME minus the shift is ${lastSeenMs - Date.now()} ms off real time after shiftClock(${offsetMs})`,
    );
  } finally {
    redis.disconnect();
  }
}
