import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { securityHeaders } from './security-headers.js';

export interface MetricsServer {
  /** The port it listens on (the OS's choice when asked for 0). */
  port: number;
  close(): Promise<void>;
}

/** Prometheus scrapes one at a time; a few connections are plenty. */
const MAX_CONNECTIONS = 64;
const TIMEOUT_MS = 10_000;

/**
 * `GET /metrics` on a port of its own, so that it can stay on the internal network while PORT
 * faces the devices. Everything else answers 404.
 */
export async function startMetricsServer(
  registry: Registry,
  where: { port: number; host: string },
): Promise<MetricsServer> {
  const security = securityHeaders();
  const server = createServer(
    { headersTimeout: TIMEOUT_MS, requestTimeout: TIMEOUT_MS },
    (request, response) => void answer(registry, security, request, response),
  );
  server.maxConnections = MAX_CONNECTIONS;
  server.listen(where.port, where.host);
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

async function answer(
  registry: Registry,
  security: Record<string, string>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const send = (status: number, type: string, body: string, headers = {}) =>
    response
      .writeHead(status, { ...security, 'content-type': type, ...headers })
      .end(request.method === 'HEAD' ? undefined : body);
  const json = (status: number, error: string, message: string, headers = {}) =>
    send(status, 'application/json; charset=utf-8', JSON.stringify({ error, message }), headers);

  const path = request.url?.split('?')[0];
  if (path !== '/metrics') return void json(404, 'not_found', 'No such route.');
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return void json(405, 'method_not_allowed', 'Use GET.', { allow: 'GET, HEAD' });
  }
  try {
    send(200, registry.contentType, await registry.metrics());
  } catch {
    json(500, 'internal_error', 'The metrics could not be collected.');
  }
}
