import { ACTION_LETTER as ACT, FIELD as F } from '../record.js';
import { defineScript } from './define.js';
import { LATEST_INSTANT, NORMALIZE, PUSH_CAPPED, REDIS_TIME } from './lua.js';

/**
 * One redemption, all on the slot of the record's ID.
 *
 * KEYS  record, history, devices (the registry), idempotency (the kept answer of this key)
 * ARGV  name          the normalised code the device typed; the record must bear it
 *       deadline      Redis time (ms) after which the attempt must not count: the service has
 *                     answered 503 by then, so a command that arrives late does nothing
 *       keptForMs     how long the answer is kept under the idempotency key
 *       retentionMs   RETENTION, for the TTL once the code can no longer be used
 *       deviceId, tokenHash, sealedToken ('' when the device sent no Idempotency-Key),
 *       device (JSON), historyLength, registryLength
 *       accountNumber '' on the first run; a drawn number when the action creates an account
 * Returns  {'ok', answer, removal ('' = unchanged)} | {'replay', answer} | {'too_late'}
 *        | {'code_not_found'} | {'code_expired'} | {'code_used_up'}
 *        | {'need_account_number', usernamePrefix}
 *
 * An answer kept under the key counts only for the same incarnation of the record (its creation
 * instant): a code deleted and made again under its name starts afresh. Every check comes before
 * the first write, so a refusal (OOM, READONLY) never leaves half a redemption. A refusal as
 * expired or used up notes its instant (lastRefusedAt), which the code's time never goes back before.
 */
export const redeemScript = defineScript<
  | ['ok', string, string]
  | ['replay', string]
  | ['too_late' | 'code_not_found' | 'code_expired' | 'code_used_up']
  | ['need_account_number', string]
>()({
  name: 'icRedeem',
  keys: ['record', 'history', 'devices', 'idempotency'],
  args: [
    'name',
    'deadline',
    'keptForMs',
    'retentionMs',
    'deviceId',
    'tokenHash',
    'sealedToken',
    'device',
    'historyLength',
    'registryLength',
    'accountNumber',
  ],
  lua: `${NORMALIZE}${REDIS_TIME}${LATEST_INSTANT}${PUSH_CAPPED}
local f = redis.call('HMGET', record, '${F.code}', '${F.expiresAt}', '${F.usageLimit}',
  '${F.usageLimitDelaySeconds}', '${F.timesUsed}', '${F.limitReachedAt}', '${F.action}',
  '${F.usernamePrefix}', '${F.accountId}', '${F.deviceId}', '${F.createdAt}')
if not f[1] or normalize(f[1]) ~= name then return {'code_not_found'} end
local kept = redis.call('GET', idempotency)
if kept and cjson.decode(kept).incarnation == f[11] then return {'replay', kept} end
local clock = redisTime()
if clock > tonumber(deadline) then return {'too_late'} end
local now = math.max(clock, latestInstant(record))
local expiresAt, limit = tonumber(f[2]), tonumber(f[3])
local delay = (tonumber(f[4]) or 0) * 1000
local used, reached = tonumber(f[5]) or 0, tonumber(f[6])
-- A refusal is remembered, so that a clock stepping back later cannot reopen the code.
local function refuse(reason)
  redis.call('HSET', record, '${F.lastRefusedAt}', now)
  return {reason}
end
-- As statusAt: the limit ends at reached + delay; without a delay the count alone decides.
-- Whichever of expiry and the limit's end came first names the refusal.
local limitEnd = reached and reached + delay
if limit and used >= limit and (delay == 0 or not reached) then limitEnd = reached or now end
if expiresAt and now >= expiresAt and (not limitEnd or expiresAt <= limitEnd) then
  return refuse('code_expired')
end
if limitEnd and now >= limitEnd then return refuse('code_used_up') end
local action, accountId, deviceId = f[7], cjson.null, deviceId
if action == '${ACT.create_account_and_device}' then
  if accountNumber == '' then return {'need_account_number', f[8]} end
  accountId = f[8] .. string.format('%04d', tonumber(accountNumber))
elseif action == '${ACT.create_device}' then
  accountId = f[9]
else
  deviceId = f[10]
end
used = used + 1
redis.call('HSET', record, '${F.timesUsed}', used, '${F.lastUsedAt}', now)
local removal = ''
if limit and used >= limit and not reached then
  redis.call('HSET', record, '${F.limitReachedAt}', now)
  local stop = now + delay
  if expiresAt and expiresAt < stop then stop = expiresAt end
  removal = stop + tonumber(retentionMs)
  redis.call('PEXPIREAT', record, removal)
end
pushCapped(record, devices, cjson.encode({deviceId = deviceId, accountId = accountId,
  tokenHash = tokenHash, device = cjson.decode(device), at = now}), registryLength)
pushCapped(record, history, cjson.encode({at = now, by = 'device', type = 'redeemed',
  accountId = accountId, deviceId = deviceId}), historyLength)
local answer = cjson.encode({action = action, accountId = accountId, deviceId = deviceId,
  sealedToken = sealedToken, timesUsed = used, usageLimit = limit or cjson.null,
  expiresAt = expiresAt or cjson.null, incarnation = f[11]})
redis.call('SET', idempotency, answer, 'PX', keptForMs)
return {'ok', answer, tostring(removal)}
`,
});
