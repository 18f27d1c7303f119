import pino, { type Logger } from 'pino';
import { maskCode } from './codes/code-text.js';

export type { Logger };

/** Paths that may hold a whole code, a token or a secret: pino replaces them before writing. */
const REDACTED = [
  'req.headers.authorization',
  'req.headers["idempotency-key"]',
  'req.headers["x-slack-signature"]',
  'headers.authorization',
  'token',
  'deviceToken',
  'code',
  '*.token',
  '*.deviceToken',
  '*.code',
  '*.apiToken',
  '*.signingSecret',
  'body',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED, censor: '[redacted]' } }, destination);
}

type LogMethod = (...args: unknown[]) => void;

/**
 * Fastify's per-request logger (`childLoggerFactory`), made only once the request logs something:
 * most requests log nothing but their access line (server.ts writes it with its own logger), and
 * a pino child would cost each of them its allocation.
 */
export function lazyChildLogger(
  parent: Logger,
  bindings: pino.Bindings,
  options: pino.ChildLoggerOptions,
): Logger {
  return new LazyChildLogger(parent, bindings, options) as unknown as Logger;
}

class LazyChildLogger {
  private made: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: pino.Bindings,
    private readonly options: pino.ChildLoggerOptions,
  ) {}

  get level(): string {
    return this.made?.level ?? this.options.level ?? this.parent.level;
  }
  set level(level: string) {
    this.logger().level = level;
  }
  fatal(...args: unknown[]) {
    this.write('fatal', args);
  }
  error(...args: unknown[]) {
    this.write('error', args);
  }
  warn(...args: unknown[]) {
    this.write('warn', args);
  }
  info(...args: unknown[]) {
    this.write('info', args);
  }
  debug(...args: unknown[]) {
    this.write('debug', args);
  }
  trace(...args: unknown[]) {
    this.write('trace', args);
  }
  silent() {}
  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger {
    return this.logger().child(bindings, options);
  }

  private write(level: pino.Level, args: unknown[]) {
    const { values } = this.parent.levels;
    if ((values[level] ?? 0) < (values[this.level] ?? 0)) return;
    const logger = this.logger();
    (logger[level] as LogMethod).apply(logger, args);
  }

  private logger(): Logger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }
}

/** A URL fit to log: a code in `/codes/{code}` is masked, and query values (a search may be a code) are left out. */
export function redactUrl(url: string): string {
  const [path = '', query] = url.split('?', 2);
  const safePath = path.replace(
    /(\/codes\/)([^/]+)/,
    (_, head: string, code: string) => `${head}${maskCode(safeDecode(code))}`,
  );
  if (query === undefined) return safePath;
  const names = query.split('&').map((pair) => `${pair.split('=')[0]}=…`);
  return `${safePath}?${names.join('&')}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
