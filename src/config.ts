import { isIP } from 'node:net';
import { z } from 'zod';
import { parseDuration } from './codes/durations.js';

/** The whole environment of SPEC §5 in one schema; nothing else reads process.env. */
const optionalText = z
  .string()
  .trim()
  .transform((v) => v || undefined)
  .optional();

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDuration(text);
      if (ms === null || ms <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `"${text}" is not a duration like 90s, 15m, 12h or 7d`,
        });
        return z.NEVER;
      }
      return ms;
    });

const idList = z
  .string()
  .default('')
  .transform((text) =>
    text
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[A-Z0-9]+$/, 'Slack user IDs look like U012ABCDEF')));

const hostPorts = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((node) => node.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'write nodes as host:port,host:port'))
      .min(1, 'name at least one host:port'),
  )
  .transform((nodes) =>
    nodes.map((node) => {
      const [host, port] = node.split(':') as [string, string];
      return { host, port: Number(port) };
    }),
  )
  .refine(
    (nodes) => nodes.every((node) => node.port >= 1 && node.port <= 65_535),
    'ports are 1 to 65535',
  )
  .optional();

const onOff = z
  .enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no', ''], {
    error: 'write on or off (true/false, 1/0)',
  })
  .default('off')
  .transform((v) => ['1', 'true', 'on', 'yes'].includes(v));

const port = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((text) => /^\d{1,5}$/.test(text) && Number(text) <= 65_535, 'a port number, 0 to 65535')
    .transform(Number);

const MAX_PROXY_HOPS = 10;
const MIN_WEBHOOK_SECRET_LENGTH = 16;
/** proxy-addr's (and so Fastify's) names of address ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address, a CIDR, or one of proxy-addr's names of ranges. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/**
 * SPEC §5: off; N, the number of proxies in front (the client address is the N-th from the right
 * of X-Forwarded-For); or the proxies' addresses/CIDRs. `on` is refused: it meant the left-most
 * address, which the client writes.
 */
const trustProxy = z
  .string()
  .default('off')
  .transform((text, ctx): false | number | string[] => {
    const value = text.trim().toLowerCase();
    if (['off', 'false', 'no', '0'].includes(value)) return false;
    if (['on', 'true', 'yes'].includes(value)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${text}" would let clients choose their address; write the number of proxies in front (e.g. 1) or their addresses/CIDRs (e.g. 10.0.0.0/8)`,
      });
      return z.NEVER;
    }
    if (/^\d+$/.test(value)) {
      if (Number(value) <= MAX_PROXY_HOPS) return Number(value);
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_PROXY_HOPS} proxies` });
      return z.NEVER;
    }
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
    const bad = entries.find((entry) => !isProxyAddress(entry));
    if (bad !== undefined || entries.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: `"${bad ?? text}" is not off, a number of proxies, or a list of addresses/CIDRs (10.0.0.0/8, loopback, linklocal, uniquelocal)`,
      });
      return z.NEVER;
    }
    return entries;
  });

export const configSchema = z.object({
  PORT: port('3000'),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'a redis:// or rediss:// URL' }).optional(),
  REDIS_CLUSTER_NODES: hostPorts,
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[^{}\s]*$/, 'no braces or spaces: braces are Redis Cluster hash tags')
    .default('ic:'),
  SLACK_BOT_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_API_URL: z.url().optional(),
  API_TOKEN: optionalText,
  ADMIN_USER_IDS: idList,
  STAFF_USER_IDS: idList,
  ADMIN_CHANNEL_ID: optionalText,
  INSTALL_URL_TEMPLATE: z
    .string()
    .default('{code}')
    .refine((t) => t.includes('{code}'), 'must contain {code}'),
  RETENTION: duration('7d'),
  /** How long a device is kept after its last redemption or verification (and a revoke is kept). */
  DEVICE_RETENTION: duration('90d'),
  /** How long before a code expires its creator and channels are reminded. */
  REMIND_BEFORE: duration('24h'),
  REDEEM_MAX_FAILURES: z.coerce.number().int().min(1).default(20),
  REDEEM_FAILURE_WINDOW: duration('15m'),
  TRUST_PROXY: trustProxy,
  /** 0: no metrics server. */
  METRICS_PORT: port('9464'),
  REDIS_ALLOW_EVICTION: onOff,
  /** The event stream is trimmed to about this many events (XADD MAXLEN ~). */
  EVENTS_STREAM_MAXLEN: z.coerce
    .number({ error: 'a whole number of events, like 100000' })
    .int('a whole number of events, like 100000')
    .min(1, 'at least 1')
    .default(100_000),
  /** Where every event is POSTed, signed with WEBHOOK_SECRET; unset: the stream alone. */
  WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
  WEBHOOK_SECRET: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/**
 * What one variable needs of another: a webhook is signed, so it needs its secret; in HTTP mode
 * Slack's requests are verified with the signing secret (Socket Mode needs none).
 */
const crossFieldSchema = configSchema.superRefine((config, ctx) => {
  if (config.WEBHOOK_URL && (config.WEBHOOK_SECRET?.length ?? 0) < MIN_WEBHOOK_SECRET_LENGTH) {
    ctx.addIssue({
      code: 'custom',
      path: ['WEBHOOK_SECRET'],
      message: `needed with WEBHOOK_URL: at least ${MIN_WEBHOOK_SECRET_LENGTH} characters, which receivers use to check the signature`,
    });
  }
  if (config.SLACK_BOT_TOKEN && !config.SLACK_APP_TOKEN && !config.SLACK_SIGNING_SECRET) {
    ctx.addIssue({
      code: 'custom',
      path: ['SLACK_SIGNING_SECRET'],
      message: 'needed with SLACK_BOT_TOKEN in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)',
    });
  }
});

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {}

/** The configuration, or a ConfigError whose message is one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => name in configSchema.shape && value !== ''),
  );
  const parsed = crossFieldSchema.safeParse(present);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const name = String(issue?.path[0] ?? 'environment');
  throw new ConfigError(`Invalid configuration: ${name}: ${issue?.message}`);
}
