/**
 * `npm run bench`: measures installcode on this machine and writes bench/RESULTS.md.
 * Never part of `npm test`. Each part starts what it needs (its own redis-server on a free port).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { Writable } from 'node:stream';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { TIME_KEY_LENGTH } from '../src/codes/ids.js';
import { installUrl, renderQrPng } from '../src/codes/qr.js';
import type { CodeInput } from '../src/codes/rules.js';
import { loadConfig } from '../src/config.js';
import { EventRelay } from '../src/events/relay.js';
import { createLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { startService } from '../src/service.js';
import { CodeIndex } from '../src/store/code-index.js';
import { connectRedis, createRedis } from '../src/store/connection.js';
import { DeviceRegistry } from '../src/store/device-registry.js';
import { keysFor } from '../src/store/keys.js';
import { RedisClock } from '../src/store/redis-clock.js';
import { defineScripts, redeemScript } from '../src/store/scripts/index.js';
import { CodeService, type ListQuery } from '../src/use-cases/code-service.js';
import { type FakeSlackView, startFakeSlack } from '../test/support/fake-slack.js';
import { freePort, startTestRedis, type TestRedis } from '../test/support/redis-server.js';
import { field, type StateValues, slackSender } from '../test/support/slack-requests.js';

const DURATION_S = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 50;
const silent = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));

interface Row {
  what: string;
  measured: string;
  target: string;
  met: boolean | null;
}
const rows: Row[] = [];
const notes: string[] = [];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
const ms = (n: number) => `${n.toFixed(n < 10 ? 2 : 1)} ms`;

async function timeEach(times: number, work: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  return samples.sort((a, b) => a - b);
}

function groupInput(i: number): CodeInput {
  return {
    description: `Bench team ${i}`,
    action: 'create_account_and_device',
    usernamePrefix: `team${i % 100}-`,
    usageLimit: 50,
    expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  };
}

/** Creates `count` codes through the store, `parallel` at a time. */
async function fill(store: CodeService, count: number, parallel = 64): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await store.createCode(groupInput(next++), 'bench');
    }),
  );
}

/**
 * Starts a server process on `port` and resolves once `readyPath` answers. Its output goes to
 * /dev/null, as to a log collector that keeps up: drained by this process, which is busy making
 * the load, a full pipe would stall the server's (synchronous) log writes and measure the bench.
 */
async function spawnServer(
  args: string[],
  env: Record<string, string>,
  port: number,
  readyPath: string,
  runtime = process.execPath,
) {
  const child = spawn(runtime, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    const ready = await fetch(`http://127.0.0.1:${port}${readyPath}`).then(
      (r) => r.status < 500,
      () => false,
    );
    if (ready) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`${args.join(' ')} did not start`);
}

const WARM_UP_S = 3;

/**
 * Load for DURATION_S after WARM_UP_S unmeasured (the JIT and the connections settle first),
 * spread evenly over `urls` (one per replica); `around` brackets the measured run. Several
 * `bodies` are sent in turn (one code after another), one body as it is; null asks with GET.
 */
async function load(
  urls: string[],
  bodies: string | string[] | null,
  around: { before?: () => Promise<void>; after?: () => Promise<void> } = {},
) {
  const list = typeof bodies === 'string' ? [bodies] : (bodies ?? []);
  const request = bodies
    ? { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: list[0] }
    : { method: 'GET' as const };
  let next = 0;
  const run = (duration: number) =>
    Promise.all(
      urls.map((url) =>
        autocannon({
          url,
          ...request,
          requests:
            list.length > 1
              ? [{ setupRequest: (request) => ({ ...request, body: list[next++ % list.length] }) }]
              : undefined,
          connections: CONNECTIONS / urls.length,
          pipelining: 1,
          duration,
        }),
      ),
    );
  await run(WARM_UP_S);
  await around.before?.();
  const results = await run(DURATION_S);
  await around.after?.();
  const sum = (pick: (r: autocannon.Result) => number) =>
    results.reduce((total, r) => total + pick(r), 0);
  return {
    rps: sum((r) => r.requests.average),
    total: sum((r) => r.requests.total),
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    errors: sum((r) => r.errors + r.timeouts + r.non2xx),
  };
}

/** CPU seconds a process has used so far (user + system), from /proc. */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are the 12th and 13th fields after the command name, in clock ticks (100/s).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function redisCpuSeconds(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const value = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return value('used_cpu_user') + value('used_cpu_sys');
}

interface CpuRun {
  rps: number;
  /** CPU per request over the measured run, in µs: the server's (all its processes), Redis's, and this process's (the load generator's). */
  nodeCpuUs: number;
  redisCpuUs: number;
  loadCpuUs: number;
}

/** `load`, with the CPU per request of `servers` (/proc), of Redis (INFO) and of the load generator. */
async function loadWithCpu(
  client: Redis,
  servers: ChildProcess[],
  urls: string[],
  bodies: string | string[] | null,
) {
  const serverSeconds = () =>
    servers.reduce((sum, s) => sum + processCpuSeconds(s.pid as number), 0);
  const ownSeconds = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1e6;
  };
  const cpu = { node: 0, redis: 0, load: 0 };
  const result = await load(urls, bodies, {
    before: async () => {
      cpu.redis = -(await redisCpuSeconds(client));
      cpu.node = -serverSeconds();
      cpu.load = -ownSeconds();
    },
    after: async () => {
      cpu.load += ownSeconds();
      cpu.node += serverSeconds();
      cpu.redis += await redisCpuSeconds(client);
    },
  });
  const perRequest = (seconds: number) => Math.round((seconds / result.total) * 1e6);
  return {
    ...result,
    nodeCpuUs: perRequest(cpu.node),
    redisCpuUs: perRequest(cpu.redis),
    loadCpuUs: perRequest(cpu.load),
  };
}

/**
 * What 0.6 × the floor (and 0.5) would leave a redemption, at best: every core busy, and the
 * load generator's own CPU per request as measured on the redemption. Node serves on one
 * thread, so it gets at most one core's worth of each second.
 */
function cpuBudget(floor: CpuRun, prototype: CpuRun, shell: CpuRun, redemption: CpuRun): string {
  const cores = os.cpus().length;
  const at = (share: number) => {
    const rate = share * floor.rps;
    const all = Math.round((cores * 1e6) / rate - redemption.loadCpuUs);
    return `${share} × floor is ${Math.round(rate)} req/s, which leaves at most ${all} µs of CPU a redemption for Node and Redis together, and at most ${Math.round(1e6 / rate)} µs for Node (one thread)`;
  };
  const both = (run: CpuRun) => run.nodeCpuUs + run.redisCpuUs;
  return `The CPU budget of the target, on ${cores} cores, with the load generator's ${redemption.loadCpuUs} µs a request: ${at(0.6)}; ${at(0.5)}. Measured beside it: the floor takes ${floor.nodeCpuUs} µs of Node; the minimal prototype ${both(prototype)} µs (Node ${prototype.nodeCpuUs}, Redis ${prototype.redisCpuUs}); the app shell answering a constant ${shell.nodeCpuUs} µs of Node; a redemption ${both(redemption)} µs (Node ${redemption.nodeCpuUs}, Redis ${redemption.redisCpuUs}).`;
}

/** Node runtimes to compare beside the one we ship (24): the system's, and any in .cache. */
function otherRuntimes(): { name: string; path: string }[] {
  const found: { name: string; path: string }[] = [];
  for (const path of ['/usr/bin/node', '.cache/node22/bin/node']) {
    if (!existsSync(path)) continue;
    const version = execFileSync(path, ['--version']).toString().trim();
    if (!version.startsWith('v24')) found.push({ name: `Node ${version}`, path });
  }
  return found;
}

const serviceEnv = (port: number, redisUrl: string) => ({
  PORT: String(port),
  REDIS_URL: redisUrl,
  REDIS_KEY_PREFIX: 'bench:redeem:',
  API_TOKEN: 'bench-token',
  LOG_LEVEL: 'info',
  METRICS_PORT: '0',
  REDEEM_MAX_FAILURES: '1000000',
});

/**
 * Redemption against its floor, like with like: the floor answers a body the size of a
 * redemption's answer, and the code redeemed has a usage limit (a high one), as devices meet it.
 * Node's and Redis's CPU per redemption are read from /proc and INFO around the measured run.
 */
async function benchRedemption(redis: TestRedis) {
  execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  const client = new Redis(redis.url);
  const port = await freePort();
  const first = await spawnServer(['dist/main.js'], serviceEnv(port, redis.url), port, '/readyz');
  const created = await fetch(`http://127.0.0.1:${port}/api/v1/codes`, {
    method: 'POST',
    headers: { authorization: 'Bearer bench-token', 'content-type': 'application/json' },
    body: JSON.stringify({
      action: 'create_device',
      accountId: 'bench-account',
      usageLimit: 1_000_000_000,
    }),
  }).then((r) => r.json() as Promise<{ code: string }>);
  const body = JSON.stringify({
    code: created.code,
    device: { name: 'bench device', model: 'B1' },
  });
  const answerBytes = (
    await fetch(`http://127.0.0.1:${port}/api/v1/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    }).then((r) => r.text())
  ).length;
  first.kill('SIGTERM');

  // The floor, then the service: each alone on the machine while it is measured. The floor is
  // measured again after the service, and the better of the two counts: on a VM whose
  // neighbours come and go, one slow floor run would flatter every ratio.
  const bareServer = async (env: Record<string, string>) => {
    const port = await freePort();
    const child = await spawnServer(
      ['--import', 'tsx', 'bench/bare-server.ts'],
      { PORT: String(port), ANSWER_BYTES: String(answerBytes), ...env },
      port,
      '/',
    );
    const run = await loadWithCpu(client, [child], [`http://127.0.0.1:${port}/`], body);
    child.kill('SIGTERM');
    return run;
  };
  const floorBefore = await bareServer({});
  // The issue's minimal prototype: the floor plus one Lua check-and-count through ioredis.
  const minimal = await bareServer({ REDIS_URL: redis.url });

  const measure = async (
    runtime: string,
    replicas: number,
    bodies: string | string[] | null = body,
    path = '/api/v1/redeem',
  ) => {
    const ports = await Promise.all(Array.from({ length: replicas }, () => freePort()));
    const services: ChildProcess[] = [];
    for (const p of ports) {
      services.push(
        await spawnServer(['dist/main.js'], serviceEnv(p, redis.url), p, '/readyz', runtime),
      );
    }
    const urls = ports.map((p) => `http://127.0.0.1:${p}${path}`);
    const result = await loadWithCpu(client, services, urls, bodies);
    for (const s of services) s.kill('SIGTERM');
    return result;
  };

  const shipped = await measure(process.execPath, 1);
  // What the app costs before a route does anything: Fastify, the hooks, the headers, the access
  // log and the metrics around a constant answer (GET, no body, no Redis).
  const shell = await measure(process.execPath, 1, null, '/healthz');
  const floorAfter = await bareServer({});
  const bare = floorBefore.rps >= floorAfter.rps ? floorBefore : floorAfter;
  const ofFloor = (run: { rps: number }) => `${(run.rps / bare.rps).toFixed(2)} × floor`;
  const cpu = (run: { nodeCpuUs: number; redisCpuUs: number }) =>
    `CPU per request: Node ${run.nodeCpuUs} µs, Redis ${run.redisCpuUs} µs`;
  rows.push({
    what: `bare node:http floor (reads the body, answers ${answerBytes} bytes), the better of a run before the service and one after`,
    measured: `${Math.round(bare.rps)} req/s, p99 ${bare.p99} ms (the runs: ${Math.round(floorBefore.rps)} and ${Math.round(floorAfter.rps)} req/s); ${cpu(bare)}`,
    target: '—',
    met: null,
  });
  rows.push({
    what: 'minimal prototype: the floor plus one Lua check-and-count (ioredis, auto-pipelining)',
    measured: `${Math.round(minimal.rps)} req/s (${ofFloor(minimal)}), p99 ${minimal.p99} ms; ${cpu(minimal)}`,
    target: '—',
    met: null,
  });
  rows.push({
    what: "the service's app shell alone: `GET /healthz` (Fastify, hooks, headers, access log, metrics; no body, no Redis)",
    measured: `${Math.round(shell.rps)} req/s (${ofFloor(shell)}), p99 ${shell.p99} ms; ${cpu(shell)}`,
    target: '—',
    met: null,
  });
  const ratio = shipped.rps / bare.rps;
  rows.push({
    what: `redemption, Node ${process.version}, ${CONNECTIONS} connections, ${DURATION_S} s`,
    measured: `${Math.round(shipped.rps)} req/s (${ofFloor(shipped)}), p50 ${shipped.p50} ms, p99 ${shipped.p99} ms, ${shipped.errors} errors; ${cpu(shipped)}`,
    target: '≥ 0.6 × floor (0.5 at least), p99 < 25 ms, no errors',
    met: ratio >= 0.6 && shipped.p99 < 25 && shipped.errors === 0,
  });
  for (const other of otherRuntimes()) {
    const run = await measure(other.path, 1);
    rows.push({
      what: `redemption, ${other.name} (for comparison)`,
      measured: `${Math.round(run.rps)} req/s (${ofFloor(run)}), p99 ${run.p99} ms, ${run.errors} errors; ${cpu(run)}`,
      target: '—',
      met: null,
    });
  }
  // Devices redeem many codes, not one: each event then has a relay run of its own (a hot code's
  // events are relayed in batches).
  const spread = await measure(process.execPath, 1, await manyCodeBodies(redis.url, SPREAD_CODES));
  rows.push({
    what: `redemption spread over ${SPREAD_CODES.toLocaleString('en')} codes, Node ${process.version}`,
    measured: `${Math.round(spread.rps)} req/s (${ofFloor(spread)}), p50 ${spread.p50} ms, p99 ${spread.p99} ms, ${spread.errors} errors; ${cpu(spread)}`,
    target: '—',
    met: null,
  });
  const two = await measure(process.execPath, 2);
  rows.push({
    what: 'redemption, two service processes on one Redis (same 2 cores, with Redis and the load generator)',
    measured: `${Math.round(two.rps)} req/s (${ofFloor(two)}), p99 ${two.p99} ms, ${two.errors} errors; ${cpu(two)} (Node: both)`,
    target: '—',
    met: null,
  });
  notes.push(cpuBudget(bare, minimal, shell, shipped));
  notes.push(
    `Redis CPU per redemption bounds one Redis at about ${Math.round(1e6 / shipped.redisCpuUs)} redemptions/s per core it gets (measured with one service).`,
  );
  client.disconnect();
}

const SPREAD_CODES = 1_000;

/** Redemption bodies for `count` new codes with a high usage limit, made through the API. */
async function manyCodeBodies(redisUrl: string, count: number): Promise<string[]> {
  const port = await freePort();
  const service = await spawnServer(['dist/main.js'], serviceEnv(port, redisUrl), port, '/readyz');
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const created = await fetch(`http://127.0.0.1:${port}/api/v1/codes`, {
      method: 'POST',
      headers: { authorization: 'Bearer bench-token', 'content-type': 'application/json' },
      body: JSON.stringify({
        action: 'create_device',
        accountId: `bench-account-${i}`,
        usageLimit: 1_000_000_000,
      }),
    }).then((r) => r.json() as Promise<{ code: string }>);
    bodies.push(
      JSON.stringify({ code: created.code, device: { name: 'bench device', model: 'B1' } }),
    );
  }
  service.kill('SIGTERM');
  return bodies;
}

async function benchSlackAck(redis: TestRedis) {
  const fake = await startFakeSlack({ botToken: 'xoxb-bench' });
  const config = loadConfig({
    PORT: '0',
    METRICS_PORT: '0',
    REDIS_URL: redis.url,
    REDIS_KEY_PREFIX: 'bench:slack:',
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: 'bench-secret',
    SLACK_API_URL: fake.apiUrl,
    LOG_LEVEL: 'silent',
  });
  const service = await startService(config, silent, { host: '127.0.0.1' });
  await fill(service.codes, 10_000);
  const slack = slackSender({ baseUrl: service.url, signingSecret: 'bench-secret', fake });
  for (const text of ['list', 'add']) {
    const samples = await timeEach(300, () => slack.command(text, { userId: 'UBENCH' }));
    const p99 = percentile(samples, 99);
    rows.push({
      what: `Slack ack of \`/installcode ${text}\`, 10,000 codes stored (300 sequential)`,
      measured: `p50 ${ms(percentile(samples, 50))}, p99 ${ms(p99)}`,
      target: 'p99 < 300 ms',
      met: p99 < 300,
    });
  }
  await benchEditorSave(service, slack, fake, redis);
  await service.close();
  await fake.close();
}

/**
 * Saving the editor must be answered within Slack's 3 s, also when Redis stalls: the save has one
 * budget (reading included), past which the person is told it failed and Redis refuses the write.
 */
async function benchEditorSave(
  service: Awaited<ReturnType<typeof startService>>,
  slack: ReturnType<typeof slackSender>,
  fake: Awaited<ReturnType<typeof startFakeSlack>>,
  redis: TestRedis,
) {
  await slack.command('add', { userId: 'UBENCH' });
  const view = fake.lastView('code_editor') as FakeSlackView;
  const codeBlock = (view.blocks as { block_id?: string }[])
    .map((b) => b.block_id ?? '')
    .find((id) => id.startsWith('code')) as string;
  let serial = 0;
  const save = (code = `BENCH-SAVE-${++serial}`) => {
    const values: StateValues = {
      [codeBlock]: { value: field.text(code) },
      action: { editor_choose_action: field.radio('create_device') },
      'target.create_device': { value: field.text('acct-bench') },
    };
    const submitted = { ...view, callback_id: String(view.callback_id), state: { values } };
    return slack.viewSubmissionAnswer({ userId: 'UBENCH', view: submitted });
  };
  const samples = await timeEach(200, () => save());
  rows.push({
    what: 'Slack ack of an editor save (creates a code), 10,000 stored (200 sequential)',
    measured: `p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))}`,
    target: '< 3 s (Slack)',
    met: percentile(samples, 99) < 3_000,
  });

  // Redis stalls for 5 s; ten people press Save meanwhile.
  const pauser = new Redis(redis.url);
  await pauser.client('PAUSE', 5_000, 'ALL');
  const stalled = Array.from({ length: 10 }, (_, i) => `BENCH-STALL-${i}`);
  const answers = await Promise.all(
    stalled.map(async (code) => {
      const started = performance.now();
      const answer = await save(code);
      return { ms: performance.now() - started, refused: answer.body.includes('unavailable') };
    }),
  );
  await new Promise((resolve) => setTimeout(resolve, 5_500));
  const created = await Promise.all(
    stalled.map((code) =>
      service.codes.getCode(code).then(
        () => 1,
        () => 0,
      ),
    ),
  );
  pauser.disconnect();
  const slowest = Math.max(...answers.map((a) => a.ms));
  const madeLater = created.reduce<number>((sum, n) => sum + n, 0);
  rows.push({
    what: 'Slack ack of 10 editor saves while Redis stalls (CLIENT PAUSE 5 s)',
    measured: `slowest ${ms(slowest)}; ${answers.filter((a) => a.refused).length} told it failed, ${madeLater} created after all`,
    target: 'each < 3 s, none created after a failure',
    met: slowest < 3_000 && answers.every((a, i) => a.refused === (created[i] === 0)),
  });
}

/** The service's use cases on a client of the bench's own. */
async function codeServiceOn(client: Redis, keyPrefix: string): Promise<CodeService> {
  defineScripts(client);
  const clock = new RedisClock(client);
  await clock.probe();
  const keys = keysFor(keyPrefix);
  const devices = new DeviceRegistry(client, keys, 90 * 86_400_000);
  return new CodeService(client, keys, clock, 7 * 86_400_000, devices);
}

async function benchList(redis: TestRedis) {
  // The service's own client settings (auto-pipelining: a page's reads go out together).
  const client = createRedis({ url: redis.url }) as Redis;
  await connectRedis(client);
  const store = await codeServiceOn(client, 'bench:list:');
  const started = performance.now();
  await fill(store, 100_000);
  notes.push(
    `Stored 100,000 codes for the list in ${((performance.now() - started) / 1000).toFixed(1)} s (64 at a time).`,
  );
  const first = await timeEach(200, () => store.listCodes({ limit: 20 }));
  rows.push({
    what: 'first page of the list (20 codes), 100,000 stored, store call',
    measured: `p50 ${ms(percentile(first, 50))}, p99 ${ms(percentile(first, 99))}`,
    target: 'p99 < 50 ms',
    met: percentile(first, 99) < 50,
  });
  // A text many codes match, then the worst cases: a text nothing matches, a status no code has;
  // each reads its bound of records.
  const filters: [string, Omit<ListQuery, 'limit'>][] = [
    ['by text (`q`, many match)', { q: 'team 7' }],
    ['by text (`q`, nothing matches)', { q: 'no such text' }],
    ['by status (`expired`, none is)', { status: 'expired' }],
  ];
  for (const [what, filter] of filters) {
    const samples = await timeEach(50, () => store.listCodes({ limit: 20, ...filter }));
    rows.push({
      what: `first page filtered ${what}, 100,000 stored`,
      measured: `p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))}`,
      target: 'p50 < 50 ms (as the issue measured; p99 beside it)',
      met: percentile(samples, 50) < 50,
    });
  }
  client.disconnect();
}

/**
 * Saving a code (create, edit, rename) through the use case, as the editor and the API do, with
 * 10,000 codes stored: latency, and round trips to Redis counted as the client's socket writes
 * (auto-pipelining sends what is issued together in one write), Redis's clock reads as TIME calls.
 */
async function benchSaves(redis: TestRedis) {
  const client = createRedis({ url: redis.url }) as Redis;
  await connectRedis(client);
  // Probed once, not started: its offset measurements every second would count as clock reads.
  const clock = new RedisClock(client);
  await clock.probe();
  const keys = keysFor('bench:saves:');
  const store = new CodeService(
    client,
    keys,
    clock,
    7 * 86_400_000,
    new DeviceRegistry(client, keys, 90 * 86_400_000),
  );
  await fill(store, 10_000);
  await new Promise((resolve) => setTimeout(resolve, 200)); // the index sweeps settle
  const socket = (client as unknown as { stream: { write: (...args: unknown[]) => boolean } })
    .stream;
  const write = socket.write.bind(socket);
  let writes = 0;
  let clockReads = 0;
  socket.write = (...args: unknown[]) => {
    writes++;
    // TIME sent by the service (a script's own deadline check inside Redis is not a read of ours).
    clockReads += String(args[0]).match(/\*1\r\n\$4\r\ntime\r\n/gi)?.length ?? 0;
    return write(...args);
  };
  const measure = async (what: string, save: (i: number) => Promise<unknown>) => {
    const samples: number[] = [];
    let trips = 0;
    let reads = 0;
    for (let i = 0; i < 200; i++) {
      writes = 0;
      clockReads = 0;
      const started = performance.now();
      await save(i);
      samples.push(performance.now() - started);
      // The first saves load the scripts into Redis (EVALSHA, then EVAL once): not counted.
      if (i >= 5) trips = Math.max(trips, writes);
      if (i >= 5) reads = Math.max(reads, clockReads);
      // Background work a save starts (the index's sweep) ends before the next save is counted.
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    samples.sort((a, b) => a - b);
    rows.push({
      what: `saving a code: ${what}, 10,000 stored (200 sequential, store call)`,
      measured: `p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))}; at most ${trips} round trips, ${reads} clock read`,
      target: '≤ 3 round trips, one clock read',
      met: trips <= 3 && reads <= 1,
    });
  };
  const made: string[] = [];
  const ids: string[] = [];
  await measure('create', async (i) => {
    const created = await store.createCode(
      { action: 'create_device', accountId: `acct-${i}` },
      'bench',
    );
    made.push(created.code);
    ids.push(created.id);
  });
  await measure('edit (read by its code, then written)', (i) =>
    store.updateCode(made[i] as string, { description: `edited ${i}` }, 'bench'),
  );
  await measure('rename (its first: the name is its ID, no pointer to release)', (i) =>
    store.updateCode(made[i] as string, { code: `RENAMED-${i}-BENCH` }, 'bench'),
  );
  // As the editor does: the code read by its ID, then saved with the clock reading of that read.
  await measure(
    "rename again, by ID as the editor saves (the former name's pointer is released after the answer)",
    async (i) => {
      const [current, now] = await Promise.all([store.getById(ids[i] as string), store.now()]);
      return store.updateCode(current, { code: `AGAIN-${i}-BENCH` }, 'bench', { now });
    },
  );
  await measure('rename again, by its text (its pointer, then the record)', (i) =>
    store.updateCode(`AGAIN-${i}-BENCH`, { code: `THIRD-${i}-BENCH` }, 'bench'),
  );
  clock.stop();
  client.disconnect();
}

async function benchQr() {
  const url = installUrl('https://install.example.com/c/{code}', 'ABCD-EFGH-JKMN');
  await renderQrPng(url);
  const samples = await timeEach(300, () => renderQrPng(url));
  rows.push({
    what: 'QR PNG generation (an install URL)',
    measured: `p50 ${ms(percentile(samples, 50))}, p99 ${ms(percentile(samples, 99))}`,
    target: '—',
    met: null,
  });
}

/**
 * Where the redemption script spends Redis's time: the script as shipped, then with one part taken
 * out at a time, each run 20,000 times on a code with a high limit, timed by Redis itself
 * (INFO commandstats: the script's time, without reading the command and writing the reply).
 * The variants are made by cutting the shipped text, so a change to the script that they no
 * longer match stops the bench instead of measuring something else.
 */
async function benchScriptParts() {
  const base = redeemScript.lua;
  const cut = (part: string, pattern: RegExp | string) => {
    const text = base.replace(pattern, '');
    if (text === base) throw new Error(`the redemption script no longer has its ${part}`);
    return text;
  };
  const variants: [string, string][] = [
    ['whole', base],
    ['its outbox event', cut('event', /\nemit\(outbox, record, \{id = eventId[\s\S]*?\}\)/)],
    [
      'its history entry',
      cut('history entry', /\npushCapped\(record, history,[\s\S]*?reachesLimit\)/),
    ],
    [
      'its kept answer',
      cut('kept answer', "redis.call('SET', idempotency, answer, 'PX', keptForMs)"),
    ],
    [
      'its device record',
      cut(
        'device record',
        /\n {2}redis\.call\('HSET', newDevice[^\n]*\n {2}redis\.call\('PEXPIREAT', newDevice[^\n]*/,
      ),
    ],
    ['all but a count', "return {'ok', tostring(redis.call('HINCRBY', KEYS[1], 'n', 1)), ''}"],
  ];
  const redis = await startTestRedis();
  const client = new Redis(redis.url, { enableAutoPipelining: true });
  const record = 'code:{ABCDEFGH}';
  const now = Date.now();
  const timed = new Map<string, number[]>();
  for (let round = 0; round < 3; round++) {
    for (const [name, lua] of variants) {
      await client.flushall();
      await client.hset(record, { c: 'ABCD-EFGH', a: 'D', ac: 'acct', l: 1e9, ca: now, v: 1 });
      const sha = (await client.script('LOAD', lua)) as string;
      const run = (i: number) =>
        client.evalsha(
          sha,
          5,
          record,
          `${record}:history`,
          `${record}:idem:${i}`,
          `${record}:outbox`,
          `device:{ABCD}dev_${i}`,
          'ABCDEFGH',
          now + 3_600_000,
          600_000,
          604_800_000,
          7_776_000_000,
          `dev_${i}`,
          'f'.repeat(64),
          '',
          '{"name":"bench"}',
          50,
          '',
          `attempt${i}`,
          `event${i}`,
        );
      await client.config('RESETSTAT');
      for (let i = 0; i < 20_000; i += 50) {
        await Promise.all(Array.from({ length: 50 }, (_, j) => run(i + j)));
      }
      const stats = await client.info('commandstats');
      const perCall = Number(/cmdstat_evalsha:.*usec_per_call=([\d.]+)/.exec(stats)?.[1]);
      timed.set(name, [...(timed.get(name) ?? []), perCall]);
    }
  }
  client.disconnect();
  await redis.stop();
  const median = (name: string) => (timed.get(name) ?? []).sort((a, b) => a - b)[1] as number;
  const whole = median('whole');
  const parts = variants
    .slice(1, -1)
    .map(([name]) => `without ${name} −${(whole - median(name)).toFixed(0)} µs`);
  rows.push({
    what: 'the redemption script inside Redis (commandstats, median of 3 × 20,000 runs), whole and with one part taken out',
    measured: `${whole.toFixed(0)} µs; ${parts.join(', ')}; a script that only counts ${median('all but a count').toFixed(0)} µs`,
    target: '—',
    met: null,
  });
}

async function benchMemory() {
  const redis = await startTestRedis();
  const client = new Redis(redis.url);
  const store = await codeServiceOn(client, 'ic:');
  // The event relay runs as in the service: outboxes are emptied, expiries planned.
  const keys = keysFor('ic:');
  const relay = new EventRelay({
    redis: client,
    keys,
    clock: new RedisClock(client),
    logger: silent,
    metrics: createMetrics(),
    streamMaxLength: 100_000,
    webhook: null,
    devices: null,
  });
  const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await client.info('memory'))?.[1]);
  const streamBytes = async () => Number((await client.memory('USAGE', keys.events)) ?? 0);
  await store.createCode(groupInput(0), 'bench');
  await relay.runDue();
  const before = (await usedMemory()) - (await streamBytes());
  await fill(store, 20_000);
  await client.zadd(keys.eventSchedule, 0, 'sweep:all');
  while ((await client.zcount(keys.eventSchedule, '-inf', Date.now())) > 0) await relay.runDue();
  // Creation leaves its index sweep running; let it and the client buffers settle first.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const stream = await streamBytes();
  const after = (await usedMemory()) - stream;
  const perCode = (after - before) / 20_000;
  notes.push(
    `The event stream is bounded by EVENTS_STREAM_MAXLEN, not per code: ${Math.round(stream / (await client.xlen(keys.events)))} bytes an event (left out of the figure per code); a code gets its \`expiry:<ID>\` task in \`event-relay\` only within 3 h of its expiry (about 120 B while it waits), so these codes, 30 days from theirs, have none (the relay's schedule holds ${await client.zcard(keys.eventSchedule)} task(s) in all).`,
  );
  const sample = ((await new CodeIndex(client, keys).page(null, 1))[0] as string).slice(
    TIME_KEY_LENGTH,
  );
  const usage = async (key: string) => Number(await client.memory('USAGE', key));
  notes.push(
    `One code's record (MEMORY USAGE): ${await usage(`ic:code:{${sample}}`)} B; no history list until something happens to it, no name pointer unless renamed; the index adds its share of its buckets (\`ic:codes:{index}:…\`).`,
  );
  await redemptionCost(client, store, relay, usedMemory, streamBytes);
  rows.push({
    what: 'Redis memory per code (used_memory over 20,000 codes, indexes included)',
    measured: `${Math.round(perCode)} bytes`,
    target: '≤ 300 bytes',
    met: perCode <= 300,
  });
  client.disconnect();
  await redis.stop();
}

/**
 * What a redemption leaves in Redis: its kept answer (for a retry), a device record of its own,
 * kept DEVICE_RETENTION, and a history entry, of which a code keeps 50.
 */
async function redemptionCost(
  client: Redis,
  store: CodeService,
  relay: EventRelay,
  usedMemory: () => Promise<number>,
  streamBytes: () => Promise<number>,
) {
  const code = await store.createCode(
    { action: 'create_device', accountId: 'bench-redeemed', usageLimit: 1_000 },
    'bench',
  );
  await relay.runDue();
  const count = 500;
  const before = (await usedMemory()) - (await streamBytes());
  let deviceId = '';
  for (let i = 0; i < count; i++) {
    deviceId = (
      await store.redeem({ code: code.code, device: { name: `bench ${i}`, model: 'B1' } })
    ).deviceId;
  }
  while ((await client.zcount('ic:event-relay', '-inf', Date.now())) > 0) await relay.runDue();
  await new Promise((resolve) => setTimeout(resolve, 300));
  const perRedemption = ((await usedMemory()) - (await streamBytes()) - before) / count;
  const historyKey = `ic:code:{${code.id}}:history`;
  const history =
    Number(await client.memory('USAGE', historyKey)) / (await client.llen(historyKey));
  const device = Number(await client.memory('USAGE', keysFor('ic:').device(deviceId)));
  const kept = (await client.keys(`ic:code:{${code.id}}:idem:*`))[0] as string;
  const answer = Number(await client.memory('USAGE', kept));
  notes.push(
    `A redemption leaves about ${Math.round(perRedemption)} B in Redis (used_memory over ${count}, the stream left out): its kept answer (${answer} B; 10 minutes, or 24 h under the device's Idempotency-Key), its device's record (${device} B, kept DEVICE_RETENTION), their keyspace entries, and a history entry (${Math.round(history)} B; a code keeps its newest 50). No per-code registry any more (it was about 250 B a redemption, up to 1,000 a code).`,
  );
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const redisVersion = execFileSync('redis-server', ['--version'])
    .toString()
    .match(/v=(\S+)/)?.[1];
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
  // The results file itself (an earlier run's, not yet committed) measures nothing.
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'])
    .toString()
    .split('\n')
    .filter((line) => line.trim() && !line.endsWith('bench/RESULTS.md'))
    .join('\n');
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, Redis ${redisVersion}, commit ${commit}${dirty ? ' with uncommitted changes' : ''}`;
}

async function main() {
  const only = process.argv.slice(2);
  const wanted = (name: string) => only.length === 0 || only.includes(name);
  const redis = await startTestRedis();
  try {
    if (wanted('redeem')) await benchRedemption(redis);
    if (wanted('slack')) await benchSlackAck(redis);
    if (wanted('list')) await benchList(redis);
    if (wanted('saves')) await benchSaves(redis);
    if (wanted('qr')) await benchQr();
    if (wanted('script')) await benchScriptParts();
  } finally {
    await redis.stop();
  }
  if (wanted('memory')) await benchMemory();

  const table = [
    '| what | measured | target | met |',
    '|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.what} | ${r.measured} | ${r.target} | ${r.met === null ? '' : r.met ? 'yes' : '**no**'} |`,
    ),
  ].join('\n');
  const report = `# Benchmark results\n\n${new Date().toISOString().slice(0, 10)} on ${machine()}.\nMade by \`npm run bench\` (bench/run.ts); autocannon, ${CONNECTIONS} connections, no pipelining, ${WARM_UP_S} s of warm-up before each measured run; the service logs each request at info, as in production.\n\n${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`;
  if (only.length === 0) writeFileSync(new URL('./RESULTS.md', import.meta.url), report);
  process.stdout.write(`${report}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
