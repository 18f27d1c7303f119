import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isRedisUnavailable } from '../../src/store/connection.js';
import { freePort, startTestRedis, type TestRedis } from '../support/redis-server.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';

/**
 * A Redis that answers but refuses (out of memory, a replica, a failed save, loading, a busy
 * script, too few replicas, a replica cut off from its master): every route answers 503
 * `unavailable`, never 500, logs no error line and one warn line per kind, `/readyz` says 503,
 * and once the fault is cleared everything works again, without a restart of the service.
 */

/** Keys that make a load take seconds: loading pauses this many microseconds per key. */
const BALLAST_KEYS = 20_000;
const LOAD_DELAY_US = 250;

let dir: string;
let redis: TestRedis;
/** Our own connection, usable while Redis is loading (no ready check) and across restarts. */
let admin: Redis;
let service: TestService | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'installcode-refusals-'));
  redis = await startTestRedis([
    '--dir',
    dir,
    // CONFIG SET dir (MISCONF) and DEBUG RELOAD (LOADING) are off by default since Redis 7.
    '--enable-protected-configs',
    'yes',
    '--enable-debug-command',
    'yes',
    '--key-load-delay',
    String(LOAD_DELAY_US),
    // Answer clients (-LOADING) every KiB loaded, not every 2 MiB.
    '--loading-process-events-interval-bytes',
    '1024',
    '--repl-diskless-sync-delay',
    '0',
  ]);
  admin = new Redis(redis.url, { enableReadyCheck: false, maxRetriesPerRequest: 3 });
  admin.on('error', () => undefined);
  await admin.debug('POPULATE', BALLAST_KEYS, 'ballast');
});

afterEach(async () => {
  await service?.close();
  service = undefined;
});

afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds, or fails naming `what`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(20);
  }
}

/** The reply error Redis gives our own connection for `PING` or a write, or null. */
async function refusalOf(client: Redis, command: 'ping' | 'write'): Promise<string | null> {
  try {
    if (command === 'ping') await client.ping();
    else await client.set('refusals:probe', '1');
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

async function info(client: Redis, field: string): Promise<string | undefined> {
  const text = await client.info();
  return new RegExp(`^${field}:(.*)\\r?$`, 'm').exec(text)?.[1];
}

const createBody = { action: 'create_device', accountId: 'a1' };

/** A fresh service on this Redis, with one redeemable code made before the fault. */
async function serviceWithCode(): Promise<{ svc: TestService; code: string }> {
  service = await startTestService({ REDIS_URL: redis.url });
  const created = await service.call('POST', '/api/v1/codes', { body: createBody });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { svc: service, code: created.body.code as string };
}

interface LogLine {
  level: number;
  msg: string;
  redis?: string;
}

const logLines = (svc: TestService): LogLine[] => svc.logs.map((line) => JSON.parse(line));

/**
 * While the fault holds: two redemptions, a create and `/readyz` at once all answer 503
 * `unavailable` within 5 s; the log has no error line, and at most one warn line per kind.
 */
async function expectRefused(
  svc: TestService,
  code: string,
  expected: { readyz: string[]; logged: string[] },
) {
  const timed = async (send: () => ReturnType<TestService['call']>) => {
    const started = Date.now();
    const answer = await send();
    return { ...answer, ms: Date.now() - started };
  };
  const redeem = () =>
    timed(() => svc.call('POST', '/api/v1/redeem', { body: redeemBody(code, { name: 'x' }) }));
  const answers = await Promise.all([
    redeem(),
    redeem(),
    timed(() => svc.call('POST', '/api/v1/codes', { body: createBody })),
  ]);
  const ready = await svc.call('GET', '/readyz');

  for (const answer of answers) {
    expect(answer.status, JSON.stringify(answer.body)).toBe(503);
    expect(answer.body.error).toBe('unavailable');
    expect(answer.ms).toBeLessThan(5_000);
  }
  expect(ready.status).toBe(503);
  expect(ready.body.status).toBe('redis unavailable');
  expect(expected.readyz).toContain(ready.body.reason);

  const lines = logLines(svc);
  expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  const warned = lines.filter((line) => line.level === 40 && line.redis).map((line) => line.redis);
  expect(warned.some((kind) => expected.logged.includes(kind as string))).toBe(true);
  expect(new Set(warned).size, `one warn line per kind: ${warned}`).toBe(warned.length);
  // The code is the credential: no log line may carry it.
  expect(svc.logs.join('\n')).not.toContain(code.replaceAll('-', ''));
  expect(svc.logs.join('\n')).not.toContain(code);
}

/** Once the fault is cleared: ready again, and the code redeems, and a new code can be made. */
async function expectRecovered(svc: TestService, code: string) {
  await until('/readyz answers 200', async () => (await svc.call('GET', '/readyz')).status === 200);
  expect((await svc.call('GET', '/readyz')).body).toEqual({ status: 'ready' });
  const redeemed = await svc.call('POST', '/api/v1/redeem', {
    body: redeemBody(code, { name: 'x' }),
  });
  expect(redeemed.status, JSON.stringify(redeemed.body)).toBe(200);
  expect(redeemed.body.accountId).toBe('a1');
  const created = await svc.call('POST', '/api/v1/codes', { body: createBody });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  expect(logLines(svc).filter((line) => line.level >= 50)).toEqual([]);
}

describe('Redis refusing writes answers 503, never 500', () => {
  it('OOM: used memory over maxmemory with noeviction', async () => {
    const { svc, code } = await serviceWithCode();
    expect(await admin.config('GET', 'maxmemory-policy')).toEqual([
      'maxmemory-policy',
      'noeviction',
    ]);
    // Redis refuses writes while used memory is over the limit. A limit just above usage would
    // fill up only after some writes, and usage moves a little between commands: half is full.
    const used = Number(await info(admin, 'used_memory'));
    await admin.config('SET', 'maxmemory', String(Math.floor(used / 2)));
    try {
      expect(await refusalOf(admin, 'write')).toMatch(/^OOM /);
      await expectRefused(svc, code, { readyz: ['OOM'], logged: ['OOM'] });
    } finally {
      await admin.config('SET', 'maxmemory', '0');
    }
    await expectRecovered(svc, code);
  });

  it('READONLY: the Redis became a replica (a failover elsewhere)', async () => {
    const { svc, code } = await serviceWithCode();
    const other = await startTestRedis(['--dir', dir, '--dbfilename', 'other.rdb']);
    const otherAdmin = new Redis(other.url);
    try {
      // The other Redis copies ours first, so that when ours replicates it, no data is lost.
      await otherAdmin.replicaof('127.0.0.1', String(redis.port));
      await until(
        'the copy is in sync',
        async () => (await info(otherAdmin, 'master_link_status')) === 'up',
      );
      await otherAdmin.replicaof('NO', 'ONE');
      await admin.replicaof('127.0.0.1', String(other.port));
      await until(
        'ours replicates',
        async () => (await info(admin, 'master_link_status')) === 'up',
      );
      expect(await refusalOf(admin, 'write')).toMatch(/^READONLY /);
      await expectRefused(svc, code, { readyz: ['READONLY'], logged: ['READONLY'] });
    } finally {
      await admin.replicaof('NO', 'ONE');
      otherAdmin.disconnect();
      await other.stop();
    }
    await expectRecovered(svc, code);
  });

  it('MASTERDOWN: a replica cut off from its master, with replica-serve-stale-data no', async () => {
    const { svc, code } = await serviceWithCode();
    await admin.config('SET', 'replica-serve-stale-data', 'no');
    // A master that is not there: the link never comes up.
    await admin.replicaof('127.0.0.1', String(await freePort()));
    try {
      expect(await admin.get('anything').catch((e: Error) => e.message)).toMatch(/^MASTERDOWN /);
      await expectRefused(svc, code, {
        readyz: ['READONLY'],
        logged: ['MASTERDOWN', 'READONLY'],
      });
    } finally {
      await admin.replicaof('NO', 'ONE');
      await admin.config('SET', 'replica-serve-stale-data', 'yes');
    }
    await expectRecovered(svc, code);
  });

  it('MISCONF: an RDB save failed and stop-writes-on-bgsave-error is on', async () => {
    const { svc, code } = await serviceWithCode();
    // stop-writes-on-bgsave-error only acts when save points are configured.
    await admin.config('SET', 'save', '3600 1');
    expect(await admin.config('GET', 'stop-writes-on-bgsave-error')).toEqual([
      'stop-writes-on-bgsave-error',
      'yes',
    ]);
    // Redis's working directory vanishes (a disk gone): even root cannot save there.
    const gone = join(dir, 'gone');
    mkdirSync(gone);
    await admin.config('SET', 'dir', gone);
    rmSync(gone, { recursive: true });
    await admin.bgsave();
    try {
      await until(
        'the save failed',
        async () =>
          (await info(admin, 'rdb_bgsave_in_progress')) === '0' &&
          (await info(admin, 'rdb_last_bgsave_status')) === 'err',
      );
      expect(await refusalOf(admin, 'write')).toMatch(/^MISCONF /);
      await expectRefused(svc, code, { readyz: ['MISCONF'], logged: ['MISCONF'] });
    } finally {
      // The disk is back: the next save succeeds, and that lifts the refusal.
      await admin.config('SET', 'dir', dir);
      await until('a save succeeded', async () => {
        if ((await info(admin, 'rdb_bgsave_in_progress')) === '0') {
          await admin.bgsave().catch(() => undefined);
        }
        return (await info(admin, 'rdb_last_bgsave_status')) === 'ok';
      });
      await admin.config('SET', 'save', '');
    }
    await expectRecovered(svc, code);
  });

  it('NOREPLICAS: min-replicas-to-write with no replica', async () => {
    const { svc, code } = await serviceWithCode();
    await admin.config('SET', 'min-replicas-to-write', '1');
    try {
      expect(await refusalOf(admin, 'write')).toMatch(/^NOREPLICAS /);
      await expectRefused(svc, code, { readyz: ['NOREPLICAS'], logged: ['NOREPLICAS'] });
    } finally {
      await admin.config('SET', 'min-replicas-to-write', '0');
    }
    await expectRecovered(svc, code);
  });

  it('BUSY: a script runs past busy-reply-threshold until SCRIPT KILL', async () => {
    const { svc, code } = await serviceWithCode();
    await admin.config('SET', 'busy-reply-threshold', '100');
    const hog = new Redis(redis.url);
    const running = hog.eval('while true do end', 0).catch((error: Error) => error.message);
    try {
      await until('Redis answers BUSY', async () => (await refusalOf(admin, 'ping')) !== null);
      expect(await refusalOf(admin, 'ping')).toMatch(/^BUSY /);
      await expectRefused(svc, code, { readyz: ['BUSY'], logged: ['BUSY'] });
    } finally {
      await admin.script('KILL');
      expect(await running).toMatch(/Script killed by user/);
      hog.disconnect();
      await admin.config('SET', 'busy-reply-threshold', '5000');
    }
    await expectRecovered(svc, code);
  });

  it('LOADING: Redis reloads its dataset (DEBUG RELOAD) while connected', async () => {
    const { svc, code } = await serviceWithCode();
    // Long enough to outlast the checks; cut short by setting the delay to 0 (CONFIG works while loading).
    await admin.config('SET', 'key-load-delay', '1000');
    const reloader = new Redis(redis.url, { commandTimeout: 60_000 });
    const reloaded = reloader.debug('RELOAD');
    try {
      await until('Redis answers LOADING', async () => (await refusalOf(admin, 'ping')) !== null);
      expect(await refusalOf(admin, 'ping')).toMatch(/^LOADING /);
      await expectRefused(svc, code, { readyz: ['LOADING'], logged: ['LOADING'] });
      expect(await refusalOf(admin, 'ping'), 'still loading after the checks').toMatch(/^LOADING /);
    } finally {
      await admin.config('SET', 'key-load-delay', '0');
      expect(await reloaded).toBe('OK');
      reloader.disconnect();
      await admin.config('SET', 'key-load-delay', String(LOAD_DELAY_US));
    }
    await expectRecovered(svc, code);
  });

  it('LOADING: Redis restarts and loads its RDB file for seconds', async () => {
    const { svc, code } = await serviceWithCode();
    await admin.save();
    await redis.kill();
    // start() resolves once Redis is ready, that is after loading: meanwhile, the checks.
    const started = redis.start();
    try {
      await until('Redis answers LOADING', async () =>
        /^LOADING /.test(`${await refusalOf(admin, 'ping')}`),
      );
      // ioredis waits out a loading Redis before it sends anything: a refused send, LOADING, or
      // the operation's budget running out.
      await expectRefused(svc, code, {
        readyz: ['LOADING', 'unreachable', 'timeout'],
        logged: ['LOADING', 'unreachable', 'timeout'],
      });
      expect(await refusalOf(admin, 'ping'), 'still loading after the checks').toMatch(/^LOADING /);
    } finally {
      await admin.config('SET', 'key-load-delay', '0').catch(() => undefined);
      await started;
      await admin.config('SET', 'key-load-delay', String(LOAD_DELAY_US));
    }
    await expectRecovered(svc, code);
  });
});

describe('what counts as Redis being unavailable', () => {
  it('an unexpected Redis error is a 500, logged without the command and its arguments', async () => {
    service = await startTestService({ REDIS_URL: redis.url });
    // A record key that holds a string: reading it is WRONGTYPE, a bug, not an outage.
    const code = 'QZXV-7788-KLMN';
    await admin.set(`${service.prefix}code:{QZXV7788KLMN}`, 'not a hash');
    const read = await service.call('GET', `/api/v1/codes/${code}`);
    expect(read.status).toBe(500);
    expect(read.body.error).toBe('internal_error');
    const errors = logLines(service).filter((line) => line.level >= 50);
    expect(errors).toHaveLength(1);
    expect(JSON.stringify(errors[0])).toMatch(/WRONGTYPE/);
    expect(service.logs.join('\n')).not.toContain('QZXV7788KLMN');
  });

  it('a refusal code opens the message (or a Redis 6 script wrapper), nowhere else', async () => {
    const replyOf = (lua: string) =>
      admin.eval(lua, 0).then(
        () => new Error('no error'),
        (error: Error) => error,
      );
    // Error texts that only mention a code, or a longer word that starts like one.
    for (const text of [
      'Room OOM is full',
      'ERR the description mentions oom and LOADING',
      'BUSYKEY Target key name already exists.',
      'ERR READONLY is a word here',
    ]) {
      const error = await replyOf(`return redis.error_reply(${JSON.stringify(text)})`);
      expect(error.message).toBe(text);
      expect(isRedisUnavailable(error), text).toBe(false);
    }
    expect(isRedisUnavailable(await replyOf("return redis.call('nosuch')"))).toBe(false);
    // What Redis 6 answered for a refusal inside a script.
    const redis6 = new Error(
      "ERR Error running script (call to f_1028a5dba704e1d8a01fd96efeba25bb78f62df2): @user_script:4: @user_script: 4: -READONLY You can't write against a read only replica.",
    );
    expect(isRedisUnavailable(redis6)).toBe(true);
    expect(isRedisUnavailable(new Error('OOMPH command not allowed'))).toBe(false);
  });
});
