import type { Cluster, Redis, Result } from 'ioredis';
import { ACTION_LETTER, FIELD as F } from './record.js';

/**
 * The Lua scripts: each is one atomic step on the keys of one hash slot. Instants are epoch
 * milliseconds from Redis's own clock (TIME), so app replicas never disagree about time.
 */

/**
 * Appends to a code's history (capped), which lives exactly as long as its record: the list only
 * exists once something happened after creation, so it takes the record's TTL whenever it grows.
 */
const ADD_HISTORY_FN = `
local function addHistory(record, history, entry, max)
  redis.call('LPUSH', history, entry)
  redis.call('LTRIM', history, 0, tonumber(max) - 1)
  local ttl = redis.call('PTTL', record)
  if ttl > 0 then redis.call('PEXPIRE', history, ttl) else redis.call('PERSIST', history) end
end
`;

/** A code as it compares: case, -, _ and spaces ignored (as normalizeCode in TypeScript). */
const NORMALIZE_FN = `
local function normalize(code)
  return string.upper((string.gsub(code, '[-_%s]', '')))
end
`;

/**
 * Redemption: check expiry and limits, count, register the device, remember the answer.
 * An answer kept under the Idempotency-Key counts only for the same incarnation of the record
 * (its creation instant): a code deleted and made again under its name starts afresh.
 */
const REDEEM = `${ADD_HISTORY_FN}${NORMALIZE_FN}
local record, history, idempotency, devices, accounts = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local f = redis.call('HMGET', record, '${F.code}', '${F.expiresAt}', '${F.usageLimit}',
  '${F.usageLimitDelaySeconds}', '${F.timesUsed}', '${F.limitReachedAt}', '${F.action}',
  '${F.usernamePrefix}', '${F.accountId}', '${F.deviceId}', '${F.createdAt}')
if not f[1] or normalize(f[1]) ~= ARGV[1] then return {'code_not_found'} end
local kept = redis.call('GET', idempotency)
if kept and cjson.decode(kept).incarnation == f[11] then return {'replay', kept} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiresAt, limit = tonumber(f[2]), tonumber(f[3])
local delay = (tonumber(f[4]) or 0) * 1000
local used, reached = tonumber(f[5]) or 0, tonumber(f[6])
if expiresAt and now >= expiresAt then return {'code_expired'} end
if reached and now >= reached + delay then return {'code_used_up'} end
local action, accountId, deviceId = f[7], cjson.null, ARGV[4]
if action == '${ACTION_LETTER.create_account_and_device}' then
  if ARGV[8] == '' then return {'need_account_number', f[8]} end
  accountId = f[8] .. string.format('%04d', tonumber(ARGV[8]))
  redis.call('HSET', accounts, accountId, cjson.encode({createdAt = now, deviceId = deviceId}))
elseif action == '${ACTION_LETTER.create_device}' then
  accountId = f[9]
else
  deviceId = f[10]
end
used = used + 1
redis.call('HSET', record, '${F.timesUsed}', used, '${F.lastUsedAt}', now)
redis.call('HSET', devices, deviceId, cjson.encode({accountId = accountId, tokenHash = ARGV[5],
  device = cjson.decode(ARGV[7]), installedAt = now}))
local removal = ''
if limit and used >= limit and not reached then
  redis.call('HSET', record, '${F.limitReachedAt}', now)
  local stop = now + delay
  if expiresAt and expiresAt < stop then stop = expiresAt end
  removal = stop + tonumber(ARGV[3])
  redis.call('PEXPIREAT', record, removal)
end
addHistory(record, history, cjson.encode({at = now, by = 'device', type = 'redeemed',
  accountId = accountId, deviceId = deviceId}), ARGV[9])
local answer = cjson.encode({action = action, accountId = accountId, deviceId = deviceId,
  sealedToken = ARGV[6], timesUsed = used, usageLimit = limit or cjson.null,
  expiresAt = expiresAt or cjson.null, incarnation = f[11]})
redis.call('SET', idempotency, answer, 'PX', ARGV[2])
return {'ok', answer, tostring(removal)}
`;

/** Sets the lifetime of a record (KEYS[1]) and its history (KEYS[2]): a removal instant, or '' for never. */
const EXPIRE_RECORD_FN = `
local function expireRecord(removal)
  for _, key in ipairs({KEYS[1], KEYS[2]}) do
    if removal == '' then redis.call('PERSIST', key) else redis.call('PEXPIREAT', key, removal) end
  end
end
`;

/**
 * Create a record. Its creation is the first event of its history, read from the record itself.
 * A record whose ID is its own name (ARGV[2]) also gets its name's pointer key (KEYS[3], the same
 * slot) checked: the name may point elsewhere, or the ID may be held by a record renamed since.
 * ARGV: removal, the name when the ID is the name (else ''), field, value, …
 */
const CREATE = `${EXPIRE_RECORD_FN}${NORMALIZE_FN}
if ARGV[2] ~= '' then
  local pointer = redis.call('GET', KEYS[3])
  if pointer then return {'pointer', pointer} end
end
local existing = redis.call('HGET', KEYS[1], '${F.code}')
if existing then
  if normalize(existing) == ARGV[2] then return {'taken'} end
  return {'occupied'}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
expireRecord(ARGV[1])
return {'ok'}
`;

/**
 * Update, as compare-and-set: applies only if neither the version nor the count moved since the
 * caller read the record (the caller derived limitReachedAt and the lifetime from them).
 * ARGV: removal, entry, max, version, timesUsed, number of fields to delete, fields…, field, value, …
 */
const UPDATE = `${EXPIRE_RECORD_FN}${ADD_HISTORY_FN}
local current = redis.call('HMGET', KEYS[1], '${F.version}', '${F.timesUsed}')
if not current[1] then return 'code_not_found' end
if current[1] ~= ARGV[4] or (current[2] or '0') ~= ARGV[5] then return 'moved' end
local deleted = tonumber(ARGV[6])
if deleted > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 7, 6 + deleted)) end
redis.call('HSET', KEYS[1], unpack(ARGV, 7 + deleted))
expireRecord(ARGV[1])
addHistory(KEYS[1], KEYS[2], ARGV[2], ARGV[3])
return 'ok'
`;

/** Delete a record and its history; ARGV[1] is the expected version, or '' for any. */
const DELETE = `
local version = redis.call('HGET', KEYS[1], '${F.version}')
if not version then return 'code_not_found' end
if ARGV[1] ~= '' and ARGV[1] ~= version then return 'version_conflict' end
redis.call('DEL', KEYS[1], KEYS[2])
return 'ok'
`;

/** Append to a record's history without changing it (sharing, for instance). */
const ADD_HISTORY = `${ADD_HISTORY_FN}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
addHistory(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
return 1
`;

/**
 * Claim a name (ARGV[4]) for a record ID (ARGV[1]). The name is taken by a live record whose ID
 * is the name (KEYS[2], same slot), or by a pointer (KEYS[1]) to another record that may still
 * be alive (ARGV[2] names one the caller found dead, which may be replaced). A record whose ID is
 * the name needs no pointer. Answers {1}, or {0, holder}. ARGV: id, replaceable id, removal, name.
 */
const CLAIM_NAME = `${NORMALIZE_FN}
local owner = redis.call('HGET', KEYS[2], '${F.code}')
if owner and normalize(owner) == ARGV[4] and ARGV[1] ~= ARGV[4] then return {0, ARGV[4]} end
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] and current ~= ARGV[2] then return {0, current} end
if ARGV[1] == ARGV[4] then
  redis.call('DEL', KEYS[1])
  return {1}
end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[3] ~= '' then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
return {1}
`;

/** Follow a record's lifetime (ARGV[2], '' = never), or with ARGV[2] = 'delete' drop it, if the name still points at ARGV[1]. */
const SET_NAME_LIFETIME = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == 'delete' then redis.call('DEL', KEYS[1])
elseif ARGV[2] == '' then redis.call('PERSIST', KEYS[1])
else redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return 1
`;

const SCRIPTS = {
  icRedeem: { numberOfKeys: 5, lua: REDEEM },
  icCreate: { numberOfKeys: 3, lua: CREATE },
  icUpdate: { numberOfKeys: 2, lua: UPDATE },
  icDelete: { numberOfKeys: 2, lua: DELETE },
  icAddHistory: { numberOfKeys: 2, lua: ADD_HISTORY },
  icClaimName: { numberOfKeys: 2, lua: CLAIM_NAME },
  icSetNameLifetime: { numberOfKeys: 1, lua: SET_NAME_LIFETIME },
} as const;

type Arg = string | number;
declare module 'ioredis' {
  interface RedisCommander<Context> {
    icRedeem(...args: Arg[]): Result<string[], Context>;
    icCreate(
      ...args: Arg[]
    ): Result<['ok'] | ['taken'] | ['occupied'] | ['pointer', string], Context>;
    icUpdate(...args: Arg[]): Result<'ok' | 'moved' | 'code_not_found', Context>;
    icDelete(...args: Arg[]): Result<'ok' | 'version_conflict' | 'code_not_found', Context>;
    icAddHistory(...args: Arg[]): Result<number, Context>;
    icClaimName(...args: Arg[]): Result<[0, string] | [1], Context>;
    icSetNameLifetime(...args: Arg[]): Result<number, Context>;
  }
}

export function defineScripts(redis: Redis | Cluster): void {
  for (const [name, script] of Object.entries(SCRIPTS)) redis.defineCommand(name, script);
}
