/**
 * Shutdown with Slack work in flight: most listeners acknowledge first and work after, so the
 * HTTP drain alone does not wait for them; the service must, before it closes Redis.
 */
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { WorkInFlight } from '../../src/slack/work-in-flight.js';
import { keysFor } from '../../src/store/keys.js';
import { CHANNEL, STAFF, startSlackHarness } from '../support/slack-service.js';
import { GROUP, responseTo, textOf } from './helpers.js';

describe('closing the service (SIGTERM) with Slack work in flight', () => {
  it('lets an acknowledged share finish and tell the user, and only then closes Redis', async () => {
    const h = await startSlackHarness();
    h.fake.inviteBot('C999');
    let closing: Promise<void> | undefined;
    try {
      const code = await h.service.codes.createCode({ ...GROUP, description: 'Slow' }, STAFF);
      const order: string[] = [];

      // Slack takes its time to post the card: the share is acknowledged long before.
      h.fake.inviteBot('C999');
      h.fake.delayNext('chat.postMessage', 1_500);
      const answer = await h.slack.command(`share ${code.code} <#C999|x>`, {
        userId: STAFF,
        channelId: CHANNEL,
      });
      expect(answer.status).toBe(200);
      await h.fake.waitForCall('chat.postMessage');

      const told = responseTo(h.fake, answer.responseUrlId).then((reply) => {
        order.push(`user told, redis ${h.service.redis.status}`);
        return reply;
      });
      closing = h.service.close();
      await closing;
      order.push('service closed');

      const reply = await told;
      expect(textOf(reply.body)).toContain(`Shared \`${code.code}\` in <#C999>`);
      expect(h.fake.callsTo('chat.postMessage').map((c) => c.args.channel)).toEqual(['C999']);
      expect(order).toEqual(['user told, redis ready', 'service closed']);
      // And then it was closed.
      await expect(h.service.redis.ping()).rejects.toThrow();
      expect(h.fake.responses).toHaveLength(1);
      expect(h.service.logs.join('')).not.toContain('slack listener failed');

      // The share was noted in its history: Redis was still open when the listener wrote it.
      const redis = new Redis(inject('redisUrl'));
      try {
        const history = await redis.lrange(keysFor(h.service.prefix).history(code.id), 0, -1);
        expect(history.map((e) => JSON.parse(e).type)).toContain('shared');
      } finally {
        redis.disconnect();
      }
    } finally {
      await (closing ?? h.service.close());
      await h.fake.close();
    }
  });
});

describe('WorkInFlight', () => {
  const later = <T>(ms: number, value: T) =>
    new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

  it('passes each piece of work’s outcome through, and forgets it once settled', async () => {
    const inFlight = new WorkInFlight();
    const ok = inFlight.track(() => later(20, 'done'));
    const failed = inFlight.track(() => Promise.reject(new Error('no')));
    expect(inFlight.size).toBe(2);
    await expect(ok).resolves.toBe('done');
    await expect(failed).rejects.toThrow('no');
    expect(inFlight.size).toBe(0);
  });

  it('settles once everything finished, work started while waiting included', async () => {
    const inFlight = new WorkInFlight();
    const finished: string[] = [];
    void inFlight.track(async () => {
      await later(30, null);
      finished.push('first');
      // Started while settled() is already waiting.
      void inFlight.track(async () => {
        await later(30, null);
        finished.push('second');
      });
    });
    expect(await inFlight.settled(2_000)).toBe(true);
    expect(finished).toEqual(['first', 'second']);
  });

  it('gives up after its time, telling that work is still running', async () => {
    const inFlight = new WorkInFlight();
    void inFlight.track(() => new Promise<void>(() => undefined));
    const started = performance.now();
    expect(await inFlight.settled(100)).toBe(false);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(95);
    expect(waited).toBeLessThan(1_000);
    expect(inFlight.size).toBe(1);
  });
});
