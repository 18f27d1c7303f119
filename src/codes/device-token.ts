import { createCipheriv, createDecipheriv, createHash, hash } from 'node:crypto';
import { randomBytesPooled } from './random.js';

/** A device's credential: 256 random bits, handed out once; the service keeps only its hash. */
export function newDeviceToken(): string {
  return randomBytesPooled(32).toString('base64url');
}

export function hashDeviceToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/**
 * An idempotent retry must return the same token, yet Redis keeps only the token's hash. So the
 * answer kept for the retry holds the token sealed with a key derived from the Idempotency-Key,
 * which only the device knows: a copy of Redis alone does not reveal it.
 */
function sealingKey(idempotencyKey: string, scope: string): Buffer {
  return createHash('sha256').update(`installcode:idempotency:${scope}:${idempotencyKey}`).digest();
}

export function sealToken(token: string, idempotencyKey: string, scope: string): string {
  const iv = randomBytesPooled(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(idempotencyKey, scope), iv);
  const sealed = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

export function openToken(sealed: string, idempotencyKey: string, scope: string): string {
  const bytes = Buffer.from(sealed, 'base64url');
  const decipher = createDecipheriv(
    'aes-256-gcm',
    sealingKey(idempotencyKey, scope),
    bytes.subarray(0, 12),
  );
  decipher.setAuthTag(bytes.subarray(12, 28));
  return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
}

/** Where an Idempotency-Key is kept: its hash, so Redis does not hold the key that opens the token. */
export function idempotencyKeyHash(idempotencyKey: string): string {
  return hash('sha256', `installcode:idempotency-key:${idempotencyKey}`, 'hex');
}
