/** Identifiers shaped as Slack's: IDs, message timestamps, view hashes. */
import { randomBytes } from 'node:crypto';

export interface Ids {
  next(): number;
  /** `F000000012`, `V000000013`, ... */
  id(prefix: string): string;
  /** A message timestamp (`1700000000.000123`), unique within the fake. */
  ts(): string;
  /** A view hash (`1700000000.a1b2c3d4`). */
  hash(): string;
}

export function createIds(): Ids {
  let counter = 0;
  const next = () => ++counter;
  return {
    next,
    id: (prefix) => `${prefix}${String(next()).padStart(9, '0')}`,
    ts: () => `${Math.floor(Date.now() / 1000)}.${String(next() % 1_000_000).padStart(6, '0')}`,
    hash: () => `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
  };
}
