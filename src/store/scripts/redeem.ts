import { ACTION_LETTER as ACT, DISABLED, FIELD as F } from '../record.js';
import { defineScript } from './define.js';
import { EMIT, LATEST_INSTANT, NORMALIZE, PUSH_CAPPED, REDIS_TIME, SET_REMOVAL } from './lua.js';

/**
 * One redemption, all on the slot of the record's ID.
 *
 * KEYS  record, history, idempotency (the kept answer of this key), outbox,
 *       newDevice (the record of the device that `deviceId` names, in this slot by its tag)
 * ARGV  name          the normalised code the device typed; the record must bear it
 *       deadline      Redis time (ms) after which the attempt must not count: the service has
 *                     answered 503 by then, so a command that arrives late does nothing
 *       keptForMs     how long the answer is kept under the idempotency key
 *       retentionMs   RETENTION, for the TTL once the code can no longer be used
 *       deviceRetentionMs  DEVICE_RETENTION, for the new device's record
 *       deviceId, tokenHash, sealedToken ('' when the device sent no Idempotency-Key),
 *       device (JSON), historyLength
 *       accountNumber '' on the first run; a drawn number when the action creates an account
 *       attempt       this request's own ID: a replay for another request marks the answer shared
 *       eventId       the ID of the `redeemed` event, emitted with the count (see EMIT)
 * Returns  {'ok', answer, removal ('' = unchanged)} | {'replay', answer} | {'too_late'}
 *        | {'code_not_found'} | {'code_expired'} | {'code_used_up'} | {'code_disabled'}
 *        | {'need_account_number', usernamePrefix}
 *
 * An answer kept under the key counts only for the same incarnation of the record (its creation
 * instant): a code deleted and made again under its name starts afresh. Every check comes before
 * the first write, so a refusal (OOM, READONLY) never leaves half a redemption. A refusal as
 * expired or used up notes its instant (lastRefusedAt), which the code's time never goes back before.
 * A disabled code is refused only while usable otherwise (as statusAt), and writes nothing.
 */
export const redeemScript = defineScript<
  | ['ok', string, string]
  | ['replay', string]
  | ['too_late' | 'code_not_found' | 'code_expired' | 'code_used_up' | 'code_disabled']
  | ['need_account_number', string]
>()({
  name: 'icRedeem',
  keys: ['record', 'history', 'idempotency', 'outbox', 'newDevice'],
  args: [
    'name',
    'deadline',
    'keptForMs',
    'retentionMs',
    'deviceRetentionMs',
    'deviceId',
    'tokenHash',
    'sealedToken',
    'device',
    'historyLength',
    'accountNumber',
    'attempt',
    'eventId',
  ],
  lua: `${NORMALIZE}${REDIS_TIME}${LATEST_INSTANT}${PUSH_CAPPED}${EMIT}
local f = redis.call('HMGET', record, '${F.code}', '${F.expiresAt}', '${F.usageLimit}',
  '${F.usageLimitDelaySeconds}', '${F.timesUsed}', '${F.limitReachedAt}', '${F.action}',
  '${F.usernamePrefix}', '${F.accountId}', '${F.deviceId}', '${F.createdAt}', '${F.lastUsedAt}',
  '${F.enabled}')
if not f[1] or normalize(f[1]) ~= name then return {'code_not_found'} end
local kept = redis.call('GET', idempotency)
local keptAnswer = kept and cjson.decode(kept)
if keptAnswer and keptAnswer.incarnation == f[11] and not keptAnswer.withdrawn then
  -- Another request got this answer too (a retry): it may have answered 200, so the first
  -- request's 503 can no longer withdraw it (see withdrawScript).
  if keptAnswer.attempt ~= attempt and not keptAnswer.shared then
    keptAnswer.shared = true
    redis.call('SET', idempotency, cjson.encode(keptAnswer), 'KEEPTTL')
  end
  return {'replay', kept}
end
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
if f[13] == '${DISABLED}' then return {'code_disabled'} end
local action, accountId, deviceId = f[7], cjson.null, deviceId
if action == '${ACT.create_account_and_device}' then
  if accountNumber == '' then return {'need_account_number', f[8]} end
  accountId = f[8] .. string.format('%04d', tonumber(accountNumber))
elseif action == '${ACT.create_device}' then
  accountId = f[9]
else
  deviceId = f[10]
end
-- A device the code creates is recorded here (store/scripts/devices.ts has the format), so its
-- token verifies from the 200 on; an existing device's record is in its own slot: the caller's.
local recordsDevice = action ~= '${ACT.use_existing_device}'
if recordsDevice then
  redis.call('HSET', newDevice, 'tokenHash', tokenHash, 'redeemedAt', now, 'accountId', accountId)
  redis.call('PEXPIREAT', newDevice, now + tonumber(deviceRetentionMs))
end
used = used + 1
redis.call('HSET', record, '${F.timesUsed}', used, '${F.lastUsedAt}', now)
local removal = ''
local reachesLimit = limit and used >= limit and not reached
if reachesLimit then
  redis.call('HSET', record, '${F.limitReachedAt}', now)
  local stop = now + delay
  if expiresAt and expiresAt < stop then stop = expiresAt end
  removal = stop + tonumber(retentionMs)
  redis.call('PEXPIREAT', record, removal)
end
local info = cjson.decode(device)
-- The history names the device as it called itself (absent fields are left out, as nil).
pushCapped(record, history, cjson.encode({at = now, by = 'device', type = 'redeemed',
  accountId = accountId, deviceId = deviceId, deviceName = info.name,
  deviceModel = info.model}), historyLength, reachesLimit)
emit(outbox, record, {id = eventId, type = 'redeemed', at = now, by = 'device',
  accountId = accountId, deviceId = deviceId, device = info, tokenHash = tokenHash,
  deviceRecorded = recordsDevice})
local answer = cjson.encode({action = action, accountId = accountId, deviceId = deviceId,
  sealedToken = sealedToken, timesUsed = used, usageLimit = limit or cjson.null,
  expiresAt = expiresAt or cjson.null, incarnation = f[11], attempt = attempt, at = now,
  previousLastUsedAt = f[12] or cjson.null, reachedLimit = reachesLimit or false,
  eventId = eventId})
redis.call('SET', idempotency, answer, 'PX', keptForMs)
return {'ok', answer, tostring(removal)}
`,
});

/**
 * Takes back a redemption whose request was answered 503 (its reply came too late, or never): the
 * count, the last use and, unless later redemptions keep the count at the limit, the
 * limit-reached instant and the TTLs go back to what they were, its history event goes, and so
 * does the record of the device it created (nobody got its token), so that a 503 never hides a
 * use. Not when another request (a retry with the same Idempotency-Key) was given the answer:
 * that one may have answered 200. Its `redeemed` event may have been relayed already, so a
 * `redemption_withdrawn` event follows it.
 *
 * KEYS  record, history, idempotency (the attempt's), outbox, newDevice (as the redemption's)
 * ARGV  attempt (the request's ID), retentionMs, deviceId (the ID a new device got there)
 * Returns {'withdrawn', the record's removal instant (PEXPIRETIME: -1 for none)}
 *       | {'none'} (it never counted) | {'shared'} (another request has the answer)
 */
export const withdrawScript = defineScript<['withdrawn', number] | ['none'] | ['shared']>()({
  name: 'icWithdrawRedemption',
  keys: ['record', 'history', 'idempotency', 'outbox', 'newDevice'],
  args: ['attempt', 'retentionMs', 'deviceId'],
  lua: `${SET_REMOVAL}${EMIT}${REDIS_TIME}
local kept = redis.call('GET', idempotency)
if not kept then return {'none'} end
local answer = cjson.decode(kept)
if answer.withdrawn or answer.attempt ~= attempt then return {'none'} end
if answer.shared then return {'shared'} end
local f = redis.call('HMGET', record, '${F.createdAt}', '${F.timesUsed}', '${F.usageLimit}',
  '${F.lastUsedAt}', '${F.expiresAt}')
if not f[1] or f[1] ~= answer.incarnation then return {'none'} end
local used, limit = tonumber(f[2]) - 1, tonumber(f[3])
redis.call('HSET', record, '${F.timesUsed}', used)
if tonumber(f[4]) == answer.at then
  if answer.previousLastUsedAt == cjson.null then redis.call('HDEL', record, '${F.lastUsedAt}')
  else redis.call('HSET', record, '${F.lastUsedAt}', answer.previousLastUsedAt) end
end
if answer.reachedLimit and not (limit and used >= limit) then
  redis.call('HDEL', record, '${F.limitReachedAt}')
  local expiresAt = tonumber(f[5])
  setRemoval(expiresAt and expiresAt + tonumber(retentionMs) or '', {record, history})
end
for _, entry in ipairs(redis.call('LRANGE', history, 0, -1)) do
  local e = cjson.decode(entry)
  if e.type == 'redeemed' and e.deviceId == answer.deviceId and e.at == answer.at then
    redis.call('LREM', history, 1, entry)
    break
  end
end
-- A code naming an existing device answered with that device's ID, and created none.
if answer.deviceId == deviceId then redis.call('DEL', newDevice) end
answer.withdrawn = true
redis.call('SET', idempotency, cjson.encode(answer), 'KEEPTTL')
if answer.eventId then
  emit(outbox, record, {id = answer.eventId .. '-withdrawn', type = 'redemption_withdrawn',
    at = math.max(redisTime(), answer.at), by = 'device', redemptionEventId = answer.eventId,
    accountId = answer.accountId, deviceId = answer.deviceId})
end
return {'withdrawn', redis.call('PEXPIRETIME', record)}
`,
});
