import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { CodeError } from '../codes/errors.js';
import type { Config } from '../config.js';
import { type Logger, lazyChildLogger, redactUrl } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { RedisClient } from '../store/connection.js';
import { isRedisUnavailable } from '../store/connection.js';
import type { CodeService } from '../use-cases/code-service.js';
import { registerCodeRoutes } from './codes.js';
import { registerDeviceRoutes } from './devices.js';
import {
  answerClientError,
  errorReply,
  HttpError,
  sendError,
  unsupportedMediaType,
} from './errors.js';
import { registerHealthRoutes } from './health.js';
import { registerOpenApi } from './openapi.js';
import { registerRedeemRoute } from './redeem.js';
import type { RedeemLimiter } from './redeem-limiter.js';
import { securityHeaders } from './security-headers.js';

export const BODY_LIMIT_BYTES = 16 * 1024;

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The bounds of our own node:http server (with a serverFactory, Fastify's timeouts do not apply).
 * Constants, documented in the README; tests start the service with short ones.
 */
export const HTTP_LIMITS = {
  /** An idle keep-alive connection is closed after this: longer than load balancers keep one
   * idle (60 s: AWS ALB, nginx), so the balancer never sends a request on a closing connection. */
  keepAliveTimeoutMs: 65_000,
  /** Headers must arrive within this, counted from the request's first byte (not from the end of
   * the previous request on the connection: Node ≥ 18, tested), so it may be below keep-alive. */
  headersTimeoutMs: 10_000,
  /** The whole request, headers and body (at most BODY_LIMIT_BYTES), within this; else 408. */
  requestTimeoutMs: 30_000,
  /** How often the two bounds above are checked (Node's default, 30 s, would double them). */
  timeoutCheckIntervalMs: 1_000,
  /** Connections beyond this many are closed as they are accepted. */
  maxConnections: 10_000,
};
export type HttpLimits = typeof HTTP_LIMITS;

/** A node:http server with `limits` applied, handing requests to `listener`. */
export function createHttpServer(listener: RequestListener, limits: HttpLimits = HTTP_LIMITS) {
  const server = createServer(
    {
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
    },
    listener,
  );
  server.maxConnections = limits.maxConnections;
  return server;
}

/**
 * Fastify's trustProxy for TRUST_PROXY. A hop count becomes "the first N hops are proxies":
 * Fastify refuses a bare number (it cannot check that the peer is a proxy), so a number is only
 * for a service that cannot be reached except through its proxies (README). A list goes to
 * proxy-addr as is; it matches IPv4-mapped peers too.
 */
function trustProxyOption(setting: Config['TRUST_PROXY']) {
  if (typeof setting !== 'number') return setting;
  return (_address: string, hop: number) => hop < setting;
}

export interface HttpDeps {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  codes: CodeService;
  limiter: RedeemLimiter;
  metrics: Metrics;
  /** Takes `/slack/*` requests (the Bolt receiver), when the Slack side is on. */
  slackListener?: RequestListener;
  /** HTTP_LIMITS unless a test says otherwise. */
  limits?: HttpLimits;
}

/** The one HTTP server: Slack's events, the API, health (metrics are on a port of their own). */
export function buildHttpApp(deps: HttpDeps): FastifyInstance {
  const { config, logger, codes, metrics } = deps;
  // Every answer carries these, the framework's own refusals too; none is for a cache to keep.
  const answerHeaders = { ...securityHeaders(), 'cache-control': 'no-store' };
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's own request lines would log whole URLs, codes in them; onResponse logs them masked.
    logController: new LogController({ disableRequestLogging: true }),
    // A request's own logger is made only if it logs (errors): the access line has its own.
    childLoggerFactory: (parent, bindings, options) =>
      lazyChildLogger(parent as Logger, bindings, options),
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: trustProxyOption(config.TRUST_PROXY),
    // While draining, requests that still arrive get our own 503 (below), not Fastify's.
    return503OnClosing: false,
    serverFactory: (handler) =>
      createHttpServer((req, res) => {
        if (deps.slackListener && req.url?.startsWith('/slack/')) deps.slackListener(req, res);
        else handler(req, res);
      }, deps.limits),
    // What fails before a route runs (a bad %-escape, a path too long) skips onRequest: same answer.
    frameworkErrors: (error, request, reply) => {
      reply.headers(answerHeaders);
      return errorReply(error, reply, request.log);
    },
    // What node:http refuses before Fastify sees a request: headers too large, not HTTP, too slow.
    clientErrorHandler: answerClientError(answerHeaders),
  });

  // A body is JSON sent as application/json, or it is refused (415): a form, text/plain or no
  // Content-Type would let any web page post it from a visitor's browser without a preflight.
  // No body at all is no body, whatever its type says.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    if (body === '' || request.is404) return done(null, undefined);
    if (!isJson(request.headers['content-type'])) return done(unsupportedMediaType(), undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new HttpError(400, 'invalid_request', 'The body is not valid JSON.'), undefined);
    }
  });

  // Every answer carries the answer headers; while draining, what still arrives gets a 503.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  // Callback-style hooks: an async hook costs every request a promise.
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(answerHeaders);
    if (!draining) return done();
    reply.header('connection', 'close');
    sendError(reply, 503, {
      error: 'unavailable',
      message: 'The service is restarting. Try again.',
    });
  });

  // The access line holds no secret (the URL is masked): written without redaction paths.
  const accessLog = logger.child({}, { redact: { paths: [] } });
  app.addHook('onResponse', (request, reply, done) => {
    // The route pattern, never the URL: a code must not become a label.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    accessLog.info(
      {
        reqId: request.id,
        method: request.method,
        url: redactUrl(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
    done();
  });
  app.setErrorHandler((error, request, reply) => {
    // Redis down or refusing, or an operation's budget spent waiting for it.
    const outOfBudget = error instanceof CodeError && error.kind === 'unavailable';
    if (outOfBudget || isRedisUnavailable(error)) metrics.redisErrors.inc({ kind: 'request' });
    return errorReply(error, reply, request.log);
  });
  // A known path asked with another method is 405 with the methods it takes (RFC 9110 §15.5.6).
  const routes = new RouteMethods();
  app.addHook('onRoute', (route) => routes.add(route.url, route.method));
  app.setNotFoundHandler((request, reply) => {
    const allowed = routes.methodsOf(request.url.split('?')[0] ?? '');
    if (!allowed.length)
      return sendError(reply, 404, { error: 'not_found', message: 'No such route.' });
    return sendError(reply.header('Allow', allowed.join(', ')), 405, {
      error: 'method_not_allowed',
      message: `This URL takes ${allowed.join(', ')}.`,
    });
  });

  // The document is generated from the routes registered after it (their `schema`s).
  app.register(async (documented) => {
    await registerOpenApi(documented);
    registerHealthRoutes(documented, deps.redis, config.REDIS_KEY_PREFIX);
    registerRedeemRoute(documented, deps);
    if (config.API_TOKEN) {
      registerCodeRoutes(documented, {
        codes,
        apiToken: config.API_TOKEN,
        installUrlTemplate: config.INSTALL_URL_TEMPLATE,
      });
      registerDeviceRoutes(documented, { codes, apiToken: config.API_TOKEN });
    }
  });
  return app;
}

/** `application/json`, in any case, with any parameters (`; charset=utf-8`). */
function isJson(contentType: string | undefined): boolean {
  return contentType?.split(';', 1)[0]?.trim().toLowerCase() === 'application/json';
}

/** The methods registered for each route pattern (`/api/v1/codes/:code`), to answer 405 with Allow. */
class RouteMethods {
  private readonly byPattern = new Map<RegExp, Set<string>>();
  private readonly patterns = new Map<string, RegExp>();

  add(url: string, method: string | string[]): void {
    let pattern = this.patterns.get(url);
    if (!pattern) {
      const escaped = url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+');
      pattern = new RegExp(`^${escaped}$`);
      this.patterns.set(url, pattern);
      this.byPattern.set(pattern, new Set());
    }
    for (const one of [method].flat()) this.byPattern.get(pattern)?.add(one);
  }

  methodsOf(path: string): string[] {
    const methods = new Set<string>();
    for (const [pattern, registered] of this.byPattern) {
      if (pattern.test(path)) for (const method of registered) methods.add(method);
    }
    return [...methods].sort();
  }
}
