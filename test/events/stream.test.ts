import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventSchema } from '../../src/events/event.js';
import { keysFor } from '../../src/store/keys.js';
import { startTestRedis, type TestRedis } from '../support/redis-server.js';
import { redeemBody, startTestService, type TestService } from '../support/service.js';

/** Events as a consumer reads them from the stream, with a consumer group (README: "Events"). */
let service: TestService;
const GROUP = 'dms';

beforeAll(async () => {
  service = await startTestService({}, { eventTiming: { pollMs: 25 } });
  const { events } = keysFor(service.prefix);
  await service.redis.xgroup('CREATE', events, GROUP, '$', 'MKSTREAM');
});
afterAll(() => service?.close());

interface StreamEvent {
  id: string;
  type: string;
  at: string;
  by: string;
  code: {
    code: string;
    status: string;
    timesUsed: number;
    enabled: boolean;
    expiresAt: string | null;
  };
  changes?: { field: string; from: unknown; to: unknown }[];
  redemption?: { accountId: string | null; deviceId: string; device: Record<string, string> };
  withdrawnEventId?: string;
}

/** Reads (and acknowledges) the group's next `count` events, waiting for them as a consumer does. */
async function nextEvents(count: number, timeoutMs = 5_000): Promise<StreamEvent[]> {
  const { events } = keysFor(service.prefix);
  const read: StreamEvent[] = [];
  const until = Date.now() + timeoutMs;
  while (read.length < count && Date.now() < until) {
    const reply = (await service.redis.xreadgroup(
      'GROUP',
      GROUP,
      'consumer-1',
      'COUNT',
      count - read.length,
      'BLOCK',
      200,
      'STREAMS',
      events,
      '>',
    )) as [string, [string, string[]][]][] | null;
    for (const [streamId, fields] of reply?.[0]?.[1] ?? []) {
      const field = (name: string) => fields[fields.indexOf(name) + 1] as string;
      const event = JSON.parse(field('event')) as StreamEvent;
      // Exactly the documented shape (README "Events"): no field more, none missing.
      eventSchema.strict().parse(event);
      expect(field('id')).toBe(event.id);
      expect(field('type')).toBe(event.type);
      read.push(event);
      await service.redis.xack(events, GROUP, streamId);
    }
  }
  return read;
}

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

describe('the event stream', () => {
  it('tells every change of a code, with who, when, the code as it stands and what changed', async () => {
    const created = await service.call('POST', '/api/v1/codes', {
      body: {
        action: 'create_device',
        accountId: 'acct-1',
        usageLimit: 5,
        expiresAt: inSeconds(3600),
      },
    });
    const { code } = created.body as { code: string };
    await service.call('PATCH', `/api/v1/codes/${code}`, { body: { description: 'Lab tablets' } });
    await service.call('PATCH', `/api/v1/codes/${code}`, { body: { code: 'LAB-TABLETS-2026' } });
    await service.call('PATCH', '/api/v1/codes/LAB-TABLETS-2026', { body: { enabled: false } });
    await service.call('PATCH', '/api/v1/codes/LAB-TABLETS-2026', { body: { enabled: true } });
    expect(
      (await service.call('POST', '/api/v1/codes/LAB-TABLETS-2026/extend', { body: { uses: 10 } }))
        .status,
    ).toBe(200);
    const redeemed = await service.call('POST', '/api/v1/redeem', {
      body: redeemBody('lab-tablets-2026', { name: 'Tablet 7', model: 'T-100', serial: 'SN7' }),
    });
    expect(redeemed.status).toBe(200);
    expect((await service.call('DELETE', '/api/v1/codes/LAB-TABLETS-2026')).status).toBe(204);

    const events = await nextEvents(8);
    expect(events.map((e) => e.type)).toEqual([
      'code.created',
      'code.updated',
      'code.renamed',
      'code.disabled',
      'code.enabled',
      'code.extended',
      'code.redeemed',
      'code.removed',
    ]);
    expect(new Set(events.map((e) => e.id)).size).toBe(8);
    for (const event of events) {
      expect(event.id).toMatch(/^evt_[0-9a-z]{20}$/);
      expect(Number.isNaN(Date.parse(event.at))).toBe(false);
    }
    const [made, edited, renamed, disabled, enabled, extended, used, removed] = events as [
      StreamEvent,
      StreamEvent,
      StreamEvent,
      StreamEvent,
      StreamEvent,
      StreamEvent,
      StreamEvent,
      StreamEvent,
    ];
    expect(made).toMatchObject({ by: 'api', code: { code, status: 'active', timesUsed: 0 } });
    expect(edited.changes).toEqual([{ field: 'description', from: null, to: 'Lab tablets' }]);
    expect(renamed.changes).toEqual([{ field: 'code', from: code, to: 'LAB-TABLETS-2026' }]);
    expect(renamed.code.code).toBe('LAB-TABLETS-2026');
    expect(disabled.code).toMatchObject({ enabled: false, status: 'disabled' });
    expect(enabled.code).toMatchObject({ enabled: true, status: 'active' });
    expect(extended.changes).toEqual([{ field: 'usageLimit', from: 5, to: 15 }]);
    expect(used).toMatchObject({
      by: 'device',
      code: { timesUsed: 1 },
      redemption: {
        accountId: 'acct-1',
        deviceId: redeemed.body.deviceId,
        device: { name: 'Tablet 7', model: 'T-100', serial: 'SN7' },
      },
    });
    expect(JSON.stringify(used)).not.toContain(redeemed.body.deviceToken as string);
    expect(JSON.stringify(used)).not.toContain('tokenHash');
    // The removed code as it was when removed.
    expect(removed).toMatchObject({ by: 'api', code: { code: 'LAB-TABLETS-2026', timesUsed: 1 } });
  });

  it('tells an expiry once, by time, when nobody acts; a code used up by a redemption only by that redemption', async () => {
    const expiring = await service.call('POST', '/api/v1/codes', {
      body: { action: 'create_device', accountId: 'acct-2', expiresAt: inSeconds(1.2) },
    });
    const hard = await service.call('POST', '/api/v1/codes', {
      body: { action: 'create_device', accountId: 'acct-4', usageLimit: 1 },
    });
    expect([expiring.status, hard.status]).toEqual([201, 201]);
    const used = await service.call('POST', '/api/v1/redeem', {
      body: redeemBody(hard.body.code as string),
    });
    expect(used.status).toBe(200);
    const events = await nextEvents(4, 8_000);
    const told = events.map((e) => `${e.code.code} ${e.type} ${e.code.status}`);
    expect(told).toContain(`${expiring.body.code} code.expired expired`);
    expect(told).toContain(`${hard.body.code} code.redeemed used_up`);
    expect(told.filter((t) => t.includes('code.expired'))).toHaveLength(1);
    expect(events.find((e) => e.type === 'code.expired')?.by).toBe('time');
    // Nothing more comes: the expiry is told once, and the used-up code has no expiry event.
    expect(await nextEvents(1, 1_500)).toEqual([]);
  });

  it('keeps the stream near EVENTS_STREAM_MAXLEN, trimming the oldest', async () => {
    const small = await startTestService(
      { EVENTS_STREAM_MAXLEN: '10' },
      { eventTiming: { pollMs: 25 } },
    );
    try {
      const { events } = keysFor(small.prefix);
      for (let i = 0; i < 250; i++) {
        await small.call('POST', '/api/v1/codes', {
          body: { action: 'create_device', accountId: `a${i}` },
        });
      }
      // Every event was added (codes are relayed side by side, so not in creation order).
      const added = async () => {
        const info = (await small.redis.call('XINFO', 'STREAM', events)) as unknown[];
        return Number(info[info.indexOf('entries-added') + 1]);
      };
      await expect.poll(added, { timeout: 10_000 }).toBe(250);
      // Approximate trimming removes whole nodes of the stream: about MAXLEN, never all 250.
      const length = await small.redis.xlen(events);
      expect(length).toBeGreaterThanOrEqual(10);
      expect(length).toBeLessThan(250);
    } finally {
      await small.close();
    }
  });
});

describe('the end of a grace period', () => {
  let redis: TestRedis;
  let own: TestService;
  beforeAll(async () => {
    redis = await startTestRedis([], { clockShift: true });
    own = await startTestService({ REDIS_URL: redis.url }, { eventTiming: { pollMs: 25 } });
  });
  afterAll(async () => {
    await own?.close();
    await redis?.stop();
  });

  it("is told as code.expired with status used_up, once, when Redis's clock passes it", async () => {
    const grace = await own.call('POST', '/api/v1/codes', {
      body: {
        action: 'create_device',
        accountId: 'acct-3',
        usageLimit: 1,
        usageLimitDelaySeconds: 60,
      },
    });
    const { code } = grace.body as { code: string };
    expect((await own.call('POST', '/api/v1/redeem', { body: redeemBody(code) })).status).toBe(200);
    await redis.shiftClock(61_000);
    const { events } = keysFor(own.prefix);
    const types = async () =>
      (await own.redis.xrange(events, '-', '+')).map(([, fields]) => {
        const event = JSON.parse(fields[5] as string) as StreamEvent;
        return `${event.type} ${event.code.status}`;
      });
    await expect
      .poll(types, { timeout: 10_000 })
      .toEqual(['code.created active', 'code.redeemed grace', 'code.expired used_up']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await types()).toHaveLength(3);
  });
});
