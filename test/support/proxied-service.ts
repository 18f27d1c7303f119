import { createHash } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import {
  claimTasksScript,
  emitExpiryScript,
  finishDeliveryScript,
  finishTaskScript,
  indexPageScript,
  makeDueScript,
  publishEventsScript,
  renewLeaseScript,
  takeRelayedScript,
} from '../../src/store/scripts/index.js';
import { startTestRedis, type TestRedis } from './redis-server.js';
import { startTestService, type TestService } from './service.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

export interface ProxiedService {
  redis: TestRedis;
  /** Between the service and Redis: cuts the connection on cue. */
  proxy: TcpProxy;
  service: TestService;
}

/** For the test file: the service on a redis-server of its own, reached through a TCP proxy. */
export function useServiceBehindProxy(): ProxiedService {
  const setup = {} as ProxiedService;
  beforeAll(async () => {
    setup.redis = await startTestRedis();
    setup.proxy = await startTcpProxy({ port: setup.redis.port });
    setup.service = await startTestService({ REDIS_URL: setup.proxy.url });
  });
  afterAll(async () => {
    await setup.service?.close();
    await setup.proxy?.close();
    await setup.redis?.stop();
  });
  return setup;
}

/** Waits (bounded) until the service can write to Redis again after a cut. */
export async function untilReady(service: TestService): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await service.call('GET', '/readyz')).status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the service did not get Redis back within 10 s');
}

/**
 * The scripts of the service's background work (the schedules and what makes their tasks due,
 * the event relay, and the index sweep's reads after a creation), which run whenever they are due: a test that cuts an
 * operation's Nth script does not count them.
 */
const BACKGROUND_SCRIPTS = [
  indexPageScript,
  makeDueScript,
  claimTasksScript,
  renewLeaseScript,
  finishTaskScript,
  takeRelayedScript,
  publishEventsScript,
  finishDeliveryScript,
  emitExpiryScript,
].flatMap((script) => [createHash('sha1').update(script.lua).digest('hex'), script.lua]);

export function isBackgroundScript(request: string): boolean {
  return BACKGROUND_SCRIPTS.some((mark) => request.includes(mark));
}
