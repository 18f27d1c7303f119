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
