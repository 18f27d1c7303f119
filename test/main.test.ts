import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startService } from '../src/service.js';
import { isRunning, RedisServerMissing, redisAnswers } from '../src/store/embedded-redis.js';
import { freePort, startTestRedis } from './support/redis-server.js';
import { API_TOKEN } from './support/service.js';

/** Runs `src/main.ts` as `npm start` would, with only the given environment. */
function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

/** A logger whose messages the test can read. */
function recordingLogger() {
  const messages: string[] = [];
  const logger = createLogger('info', {
    write: (line: string) => messages.push(JSON.parse(line).msg),
  });
  return { logger, messages };
}

/**
 * A service with a redis-server of its own on `port`, data in `dir`, in a process of its own so
 * the test can kill -9 it (main.ts cannot be pointed at another port than 6379).
 */
async function startServiceToCrash(port: number, dir: string) {
  const script = `
    const { loadConfig } = await import('./src/config.ts');
    const { createLogger } = await import('./src/log.ts');
    const { startService } = await import('./src/service.ts');
    await startService(loadConfig({ PORT: '0', METRICS_PORT: '0' }), createLogger('silent'), {
      host: '127.0.0.1',
      defaultRedis: { port: ${port}, dir: ${JSON.stringify(dir)} },
    });
    console.log('started');
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => String(chunk).includes('started') && resolve());
    void exited.then(() => reject(new Error('the service exited before it started')));
  });
  return {
    crash: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

describe('start-up', () => {
  it.each([
    ['RETENTION', 'soon'],
    ['PORT', 'eighty'],
    ['REDIS_URL', 'http://localhost'],
    ['INSTALL_URL_TEMPLATE', 'https://example.test/'],
  ])('stops with one line naming %s when it is bad', async (name, value) => {
    const run = runMain({ [name]: value });
    expect(await run.exited).toBe(1);
    const lines = run.output().stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(name);
  });

  it('refuses a Redis that may evict codes, with one line naming its policy', async () => {
    const redis = await startTestRedis(['--maxmemory-policy', 'allkeys-lru']);
    try {
      const run = runMain({ PORT: String(await freePort()), REDIS_URL: redis.url });
      expect(await run.exited).toBe(1);
      const lines = run.output().stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('maxmemory-policy allkeys-lru');
      expect(lines[0]).toContain('REDIS_ALLOW_EVICTION=on');
    } finally {
      await redis.stop();
    }
  });

  it('serves, and on SIGTERM stops and exits 0', async () => {
    const port = await freePort();
    const run = runMain({
      PORT: String(port),
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: 'test:main:',
      API_TOKEN,
    });
    let health = 0;
    for (let attempt = 0; attempt < 100 && health !== 200; attempt++) {
      await new Promise((r) => setTimeout(r, 100));
      health = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status,
        () => 0,
      );
    }
    expect(health).toBe(200);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output().stdout).toContain('stopped');
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM refuses new connections, finishes the request in flight, and exits 0', async () => {
    const port = await freePort();
    const run = runMain({
      PORT: String(port),
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: 'test:drain:',
      API_TOKEN,
    });
    const base = `http://127.0.0.1:${port}`;
    let created: { code?: string } = {};
    for (let attempt = 0; attempt < 100 && !created.code; attempt++) {
      await new Promise((r) => setTimeout(r, 100));
      created = await fetch(`${base}/api/v1/codes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'create_device', accountId: 'drain' }),
      }).then(
        (r) => r.json() as Promise<{ code?: string }>,
        () => ({}),
      );
    }

    // A redemption in flight: its body is half sent when the signal comes.
    const body = JSON.stringify({ code: created.code, device: { name: 'slow uploader' } });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = httpRequest(`${base}/api/v1/redeem`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      request.on('response', (response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      });
      request.on('error', reject);
      request.write(body.slice(0, 10));
      setTimeout(() => {
        run.child.kill('SIGTERM');
        setTimeout(() => request.end(body.slice(10)), 500);
      }, 200);
    });

    await new Promise((r) => setTimeout(r, 400));
    const refused = await fetch(`${base}/healthz`).then(
      () => 'answered',
      (error: { cause?: { code?: string } }) => error.cause?.code,
    );
    expect(refused).toBe('ECONNREFUSED');
    const finished = await answer;
    expect(finished.status).toBe(200);
    expect(JSON.parse(finished.text)).toMatchObject({
      action: 'create_device',
      accountId: 'drain',
    });
    expect(await run.exited).toBe(0);
  });
});

describe('embedded redis-server', () => {
  const configWithoutRedis = () =>
    loadConfig({ API_TOKEN, PORT: '0', METRICS_PORT: '0', LOG_LEVEL: 'silent' });

  it('starts one when nothing answers, keeps codes across restarts in its AOF, and stops it on close', async () => {
    const defaultRedis = {
      port: await freePort(),
      dir: mkdtempSync(join(tmpdir(), 'installcode-data-')),
    };
    const logger = createLogger('silent');
    const first = await startService(configWithoutRedis(), logger, {
      host: '127.0.0.1',
      defaultRedis,
    });
    const created = await first.codes.createCode(
      { action: 'create_device', accountId: 'acct-1' },
      'api',
    );
    await first.close();
    expect(await redisAnswers(`redis://127.0.0.1:${defaultRedis.port}`)).toBe(false);
    expect(
      existsSync(defaultRedis.dir) &&
        readdirSync(defaultRedis.dir).some((f) => f.startsWith('appendonly')),
    ).toBe(true);

    const second = await startService(configWithoutRedis(), logger, {
      host: '127.0.0.1',
      defaultRedis,
    });
    try {
      expect((await second.codes.getCode(created.code)).id).toBe(created.id);
    } finally {
      await second.close();
    }
  });

  it('says how to install redis-server when it is missing', async () => {
    const defaultRedis = {
      port: await freePort(),
      dir: mkdtempSync(join(tmpdir(), 'installcode-data-')),
    };
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const starting = startService(configWithoutRedis(), createLogger('silent'), {
        host: '127.0.0.1',
        defaultRedis,
      });
      await expect(starting).rejects.toBeInstanceOf(RedisServerMissing);
      await expect(starting).rejects.toThrow(/apt-get install redis-server.*REDIS_URL/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('after a kill -9, the next start adopts the redis-server left running and stops it on close', async () => {
    const defaultRedis = {
      port: await freePort(),
      dir: mkdtempSync(join(tmpdir(), 'installcode-data-')),
    };
    const url = `redis://127.0.0.1:${defaultRedis.port}`;
    const crashed = await startServiceToCrash(defaultRedis.port, defaultRedis.dir);
    const pid = Number(readFileSync(join(defaultRedis.dir, 'redis-server.pid'), 'utf8'));
    try {
      await crashed.crash();
      expect(isRunning(pid)).toBe(true);
      expect(await redisAnswers(url)).toBe(true);

      const { logger, messages } = recordingLogger();
      const second = await startService(configWithoutRedis(), logger, {
        host: '127.0.0.1',
        defaultRedis,
      });
      expect(messages.filter((m) => /adopting/.test(m))).toHaveLength(1);
      await second.close();
      expect(isRunning(pid)).toBe(false);
      expect(await redisAnswers(url)).toBe(false);
    } finally {
      if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it.each([
    ['a stale pid file', async () => deadPid()],
    ['its pid in our pid file but another data dir', async (url: string) => serverPid(url)],
  ])('leaves a redis-server that is not ours alone: %s', async (_, pidInFile) => {
    const foreign = await startTestRedis();
    const dir = mkdtempSync(join(tmpdir(), 'installcode-data-'));
    writeFileSync(join(dir, 'redis-server.pid'), `${await pidInFile(foreign.url)}\n`);
    try {
      const foreignPid = await serverPid(foreign.url);
      const { logger, messages } = recordingLogger();
      const service = await startService(configWithoutRedis(), logger, {
        host: '127.0.0.1',
        defaultRedis: { port: foreign.port, dir },
      });
      await service.close();
      expect(messages.filter((m) => /adopting|starting redis-server/.test(m))).toEqual([]);
      expect(isRunning(foreignPid)).toBe(true);
      expect(await redisAnswers(foreign.url)).toBe(true);
    } finally {
      await foreign.stop();
    }
  });
});

/** The process id of the redis-server answering at `url`. */
async function serverPid(url: string): Promise<number> {
  const redis = new Redis(url);
  try {
    return Number(/^process_id:(\d+)/m.exec(await redis.info('server'))?.[1]);
  } finally {
    redis.disconnect();
  }
}

/** The id of a process that has come and gone. */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
}
