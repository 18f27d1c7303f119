import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hashDeviceToken } from '../codes/device-token.js';
import type { RedisClient } from './connection.js';
import type { Keys } from './keys.js';
import {
  recordDeviceRedemptionScript,
  refreshDeviceScript,
  revokeDeviceScript,
} from './scripts/index.js';

/** What a redemption installed, as the redeeming replica and the event relay both record it. */
export interface DeviceRedemption {
  deviceId: string;
  /** hashDeviceToken of the token the device was given. */
  tokenHash: string;
  /** null for a device that `use_existing_device` installed: the code names no account. */
  accountId: string | null;
  /** The redemption's instant (epoch ms, Redis's clock). */
  redeemedAt: number;
}

export type DeviceVerification =
  | { valid: true; deviceId: string; accountId: string | null; redeemedAt: number }
  | { valid: false };

/** SHA-256 is 32 bytes; a stored hash of another length is not one we wrote. */
const HASH_BYTES = 32;
/**
 * Compared against when the device is unknown or revoked, so that a refusal takes as long as
 * a comparison with a real hash: the timing does not tell whether the device exists.
 */
const DUMMY_HASH = randomBytes(HASH_BYTES);
/** How many of its own recent records a replica remembers, so as not to send them twice. */
const REMEMBERED = 4_096;

/**
 * The devices that redemptions installed, each under its own key (store/scripts/devices.ts),
 * kept for `retentionMs` after its last redemption or successful verification. The service keeps
 * only each token's hash; a presented token is checked by comparing hashes in constant time.
 */
export class DeviceRegistry {
  /** Redemptions this replica recorded lately, oldest first (a Set keeps insertion order). */
  private readonly recorded = new Set<string>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    /** DEVICE_RETENTION. */
    readonly retentionMs: number,
  ) {}

  /**
   * Records a redemption's device; idempotent, and an older redemption than the device's latest
   * (or than its revoke) changes nothing. True when this call wrote it.
   *
   * The redeeming replica records an existing device's new token before its 200, and its event
   * relay would record it again: a redemption this replica recorded lately is not sent twice.
   * (Another replica's relay, or this one's after a failure, still sends it: that is what the
   * relay's copy is for.) A device a code created is recorded by the redemption's script.
   */
  async recordRedemption(redemption: DeviceRedemption): Promise<boolean> {
    const mark = `${redemption.deviceId} ${redemption.redeemedAt} ${redemption.tokenHash}`;
    if (this.recorded.has(mark)) return false;
    const written = await recordDeviceRedemptionScript.run(
      this.redis,
      { device: this.keys.device(redemption.deviceId) },
      {
        tokenHash: redemption.tokenHash,
        accountId: redemption.accountId ?? '',
        redeemedAt: redemption.redeemedAt,
        retentionMs: this.retentionMs,
      },
    );
    this.remember(mark);
    return written === 1;
  }

  private remember(mark: string): void {
    this.recorded.add(mark);
    if (this.recorded.size > REMEMBERED) {
      this.recorded.delete(this.recorded.values().next().value as string);
    }
  }

  /** Whether `deviceToken` is the token last issued to the device, and not revoked. */
  async verify(deviceId: string, deviceToken: string): Promise<DeviceVerification> {
    const key = this.keys.device(deviceId);
    const [storedHash] = await this.redis.hmget(key, 'tokenHash');
    const presented = Buffer.from(hashDeviceToken(deviceToken), 'hex');
    const stored = storedHash ? Buffer.from(storedHash, 'hex') : null;
    const known = stored?.length === HASH_BYTES;
    const equal = timingSafeEqual(presented, known ? stored : DUMMY_HASH);
    if (!known || !equal || !storedHash) return { valid: false };
    // Only while the same token is still the device's: a revoke in between wins.
    const reply = await refreshDeviceScript.run(
      this.redis,
      { device: key },
      { tokenHash: storedHash, retentionMs: this.retentionMs },
    );
    if (reply[0] !== 1) return { valid: false };
    return {
      valid: true,
      deviceId,
      accountId: reply[1] === '' ? null : reply[1],
      redeemedAt: Number(reply[2]),
    };
  }

  /** Revokes the device's token; false when there was no device with a token to revoke. */
  async revoke(deviceId: string): Promise<boolean> {
    const revoked = await revokeDeviceScript.run(
      this.redis,
      { device: this.keys.device(deviceId) },
      { retentionMs: this.retentionMs },
    );
    return revoked === 1;
  }
}
