import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * The service's Prometheus metrics, in a registry of its own (not prom-client's global one), so
 * that two services in one process, as in the tests, never share counts.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'installcode_' });
  const registers = [registry];
  return {
    registry,
    redemptions: new Counter({
      name: 'installcode_redemptions_total',
      help: 'Redemptions by result: ok, or the error string answered',
      labelNames: ['result'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'installcode_http_request_duration_seconds',
      help: 'HTTP request duration by route pattern (never the code itself) and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    slackDuration: new Histogram({
      name: 'installcode_slack_listener_duration_seconds',
      help: 'Time Slack listeners take, by payload type, from the request to the end of the work',
      labelNames: ['type'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    redisErrors: new Counter({
      name: 'installcode_redis_errors_total',
      help: 'Redis connection errors, and requests refused because Redis was unreachable',
      labelNames: ['kind'] as const,
      registers,
    }),
    eventsPublished: new Counter({
      name: 'installcode_events_published_total',
      help: 'Events written to the stream, by type (a relay cut short may write one twice)',
      labelNames: ['type'] as const,
      registers,
    }),
    webhookAttempts: new Counter({
      name: 'installcode_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, failed (retried), abandoned (after 24 h)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    webhookDuration: new Histogram({
      name: 'installcode_webhook_attempt_duration_seconds',
      help: 'Time a webhook delivery attempt took, by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
