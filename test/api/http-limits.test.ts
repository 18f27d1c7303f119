import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, HTTP_LIMITS } from '../../src/api/server.js';
import { startTestService, type TestService } from '../support/service.js';

/** A raw connection to `baseUrl`: what the server sent so far, and when it closed the connection. */
interface RawClient {
  socket: Socket;
  received(): string;
  /** Milliseconds from connecting to the server closing the connection. */
  closed: Promise<number>;
}

async function rawClient(baseUrl: string): Promise<RawClient> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  let text = '';
  socket.on('data', (chunk) => {
    text += String(chunk);
  });
  socket.on('error', () => undefined);
  const started = performance.now();
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - started)),
  );
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => text, closed };
}

/** Writes `piece` every `everyMs` until the connection closes. */
function dribble(client: RawClient, piece: string, everyMs: number): void {
  const timer = setInterval(() => {
    if (!client.socket.destroyed) client.socket.write(piece);
  }, everyMs);
  void client.closed.then(() => clearInterval(timer));
}

/** Resolves once `client` has received `count` complete answers to GET /healthz. */
async function answers(client: RawClient, count: number): Promise<void> {
  const deadline = performance.now() + 5_000;
  while ((client.received().match(/HTTP\/1\.1 200 OK/g) ?? []).length < count) {
    if (client.socket.destroyed || performance.now() > deadline)
      throw new Error(`expected ${count} answers, got: ${client.received()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const HEALTH = 'GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n';

describe('the HTTP server bounds (HTTP_LIMITS)', () => {
  it('are the documented values', () => {
    const server = createHttpServer(() => undefined);
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(server.headersTimeout).toBe(10_000);
    expect(server.requestTimeout).toBe(30_000);
    expect(server.maxConnections).toBe(10_000);
    expect(HTTP_LIMITS.timeoutCheckIntervalMs).toBe(1_000);
  });

  it('tell clients and load balancers the keep-alive timeout: 65 s', async () => {
    const service = await startTestService();
    try {
      const client = await rawClient(service.url);
      client.socket.write(HEALTH);
      await answers(client, 1);
      expect(client.received()).toMatch(/\r\nKeep-Alive: timeout=65\r\n/i);
      client.socket.destroy();
    } finally {
      await service.close();
    }
  });
});

describe('slow clients, with short bounds', () => {
  const limits = {
    keepAliveTimeoutMs: 700,
    headersTimeoutMs: 300,
    requestTimeoutMs: 600,
    timeoutCheckIntervalMs: 50,
  };
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService({}, { httpLimits: limits });
  });
  afterAll(() => service.close());

  it('cuts off a client whose headers do not arrive within headersTimeout, with a 408', async () => {
    const client = await rawClient(service.url);
    client.socket.write('POST /api/v1/redeem HTTP/1.1\r\nHost: test\r\n');
    dribble(client, 'X-Slow: 1\r\n', 100);
    const closedAfter = await client.closed;
    expect(closedAfter).toBeGreaterThanOrEqual(limits.headersTimeoutMs - 20);
    expect(closedAfter).toBeLessThan(limits.requestTimeoutMs);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('cuts off a client whose body does not arrive within requestTimeout, with a 408', async () => {
    const client = await rawClient(service.url);
    client.socket.write(
      'POST /api/v1/redeem HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{',
    );
    dribble(client, ' ', 100);
    const closedAfter = await client.closed;
    expect(closedAfter).toBeGreaterThanOrEqual(limits.requestTimeoutMs - 20);
    expect(closedAfter).toBeLessThan(limits.requestTimeoutMs + 500);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('keeps an idle connection longer than headersTimeout, then closes it after keepAliveTimeout', async () => {
    const client = await rawClient(service.url);
    client.socket.write(HEALTH);
    await answers(client, 1);
    // Idle past the headers bound: the next request on the connection is still answered.
    await new Promise((resolve) => setTimeout(resolve, limits.headersTimeoutMs + 150));
    client.socket.write(HEALTH);
    await answers(client, 2);
    const idleFrom = performance.now();
    await client.closed;
    const idle = performance.now() - idleFrom;
    // Node keeps the socket keepAliveTimeoutBuffer (1 s) past the timeout it advertises.
    expect(idle).toBeGreaterThanOrEqual(limits.keepAliveTimeoutMs - 50);
    expect(idle).toBeLessThan(limits.keepAliveTimeoutMs + 1_000 + 500);
  });
});

describe('the connection cap', () => {
  it('closes connections beyond maxConnections as they are accepted', async () => {
    const service = await startTestService({}, { httpLimits: { maxConnections: 2 } });
    const clients: RawClient[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        const client = await rawClient(service.url);
        client.socket.write(HEALTH);
        await answers(client, 1);
        clients.push(client);
      }
      const third = await rawClient(service.url);
      clients.push(third);
      third.socket.write(HEALTH);
      await third.closed;
      expect(third.received()).toBe('');
      expect(clients[0]?.socket.destroyed).toBe(false);
    } finally {
      for (const client of clients) client.socket.destroy();
      await service.close();
    }
  });
});
