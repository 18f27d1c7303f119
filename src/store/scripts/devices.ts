import { defineScript } from './define.js';
import { REDIS_TIME } from './lua.js';

/**
 * A device's key (store/keys.ts: device) is a hash: tokenHash, accountId (absent for a device
 * that `use_existing_device` installed), redeemedAt and lastVerifiedAt (epoch ms, Redis's clock);
 * after a revoke only revokedAt. Its TTL is DEVICE_RETENTION from the last redemption or
 * successful verification (or the revoke). Each script touches that one key.
 */

/**
 * Records the device a redemption installed, idempotently: it is written by the redeeming replica
 * and again by the event relay. Only a redemption newer than the one stored and than a revoke
 * writes, so a redemption replayed after a revoke, or after a newer redemption of the same device
 * (a `use_existing_device` code gives it a new token), changes nothing. Two redemptions of one
 * device in the same millisecond: the greater token hash wins, in whichever order they are
 * recorded, so every replica and replay agrees. The key lives until
 * redeemedAt + retention; a redemption older than that is not written at all.
 *
 * KEYS  device
 * ARGV  tokenHash, accountId ('' for none), redeemedAt (epoch ms, the redemption's instant),
 *       retentionMs
 * Returns 1 when written, 0 when the device holds the same, a newer redemption or a later revoke
 */
export const recordDeviceRedemptionScript = defineScript<number>()({
  name: 'icRecordDeviceRedemption',
  keys: ['device'],
  args: ['tokenHash', 'accountId', 'redeemedAt', 'retentionMs'],
  lua: `${REDIS_TIME}
local at = tonumber(redeemedAt)
local f = redis.call('HMGET', device, 'redeemedAt', 'revokedAt', 'tokenHash')
local stored, revoked = tonumber(f[1]), tonumber(f[2])
if revoked and at <= revoked then return 0 end
if stored and (at < stored or (at == stored and tokenHash <= f[3])) then return 0 end
local removal = at + tonumber(retentionMs)
if removal <= redisTime() then return 0 end
redis.call('DEL', device)
redis.call('HSET', device, 'tokenHash', tokenHash, 'redeemedAt', at)
if accountId ~= '' then redis.call('HSET', device, 'accountId', accountId) end
redis.call('PEXPIREAT', device, removal)
return 1
`,
});

/**
 * After the caller has found the presented token's hash equal to the stored one: notes the
 * verification and keeps the device for another retention, as long as that token is still the
 * device's (no revoke or newer redemption came in between). lastVerifiedAt never goes back.
 *
 * KEYS  device
 * ARGV  tokenHash (the hash that was compared), retentionMs
 * Returns {1, accountId ('' for none), redeemedAt} | {0}
 */
export const refreshDeviceScript = defineScript<[1, string, string] | [0]>()({
  name: 'icRefreshDevice',
  keys: ['device'],
  args: ['tokenHash', 'retentionMs'],
  lua: `${REDIS_TIME}
local f = redis.call('HMGET', device, 'tokenHash', 'accountId', 'redeemedAt', 'lastVerifiedAt')
if f[1] ~= tokenHash then return {0} end
local now = math.max(redisTime(), tonumber(f[3]) or 0, tonumber(f[4]) or 0)
redis.call('HSET', device, 'lastVerifiedAt', now)
redis.call('PEXPIRE', device, retentionMs)
return {1, f[2] or '', f[3]}
`,
});

/**
 * Revokes a device's token: the hash becomes a tombstone holding only revokedAt, kept for the
 * retention, so that a redemption replayed later (the event relay) does not bring the token back.
 * revokedAt is never before the redemption or verification it ends, whatever Redis's clock did.
 *
 * KEYS  device
 * ARGV  retentionMs
 * Returns 1 when a device with a token was there, 0 when none (unknown, gone, or revoked already)
 */
export const revokeDeviceScript = defineScript<number>()({
  name: 'icRevokeDevice',
  keys: ['device'],
  args: ['retentionMs'],
  lua: `${REDIS_TIME}
local f = redis.call('HMGET', device, 'tokenHash', 'redeemedAt', 'lastVerifiedAt')
if not f[1] then return 0 end
local at = math.max(redisTime(), tonumber(f[2]) or 0, tonumber(f[3]) or 0)
redis.call('DEL', device)
redis.call('HSET', device, 'revokedAt', at)
redis.call('PEXPIRE', device, retentionMs)
return 1
`,
});
