import { FIELD as F } from '../record.js';

/** Lua functions that several scripts share, prepended to the scripts that use them. */

/** A code as it compares: case, -, _ and spaces ignored (as normalizeCode in TypeScript). */
export const NORMALIZE = `
local function normalize(code)
  return string.upper((string.gsub(code, '[-_%s]', '')))
end
`;

/** Redis's clock in epoch milliseconds: the one clock every replica agrees on. */
export const REDIS_TIME = `
local function redisTime()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * The latest instant a record holds. A code's time is the later of Redis's clock and this, so a
 * clock that steps back never reopens a code nor lengthens its delay (codes/lifetime.ts: codeTime).
 */
export const LATEST_INSTANT = `
local function latestInstant(record)
  local t = redis.call('HMGET', record, '${F.createdAt}', '${F.updatedAt}', '${F.lastUsedAt}',
    '${F.lastRefusedAt}', '${F.limitReachedAt}')
  local latest = 0
  for _, v in ipairs(t) do
    local n = tonumber(v)
    if n and n > latest then latest = n end
  end
  return latest
end
`;

/** Gives a companion key (the history) its record's removal instant, or none. */
const FOLLOW_RECORD = `
local function followRecord(record, key)
  local at = redis.call('PEXPIRETIME', record)
  if at > 0 then redis.call('PEXPIREAT', key, at) else redis.call('PERSIST', key) end
end
`;

/**
 * Appends to a capped list that lives exactly as long as its record (the history). A list
 * that exists already has its record's lifetime (every script that changes a record's TTL
 * changes its lists' too), so only a new list, or one whose record's TTL this script changed
 * (`ttlChanged`), is given it: the redemption's hot path skips two calls.
 */
export const PUSH_CAPPED = `${FOLLOW_RECORD}
local function pushCapped(record, list, entry, max, ttlChanged)
  local length = redis.call('LPUSH', list, entry)
  if length > tonumber(max) then redis.call('LTRIM', list, 0, tonumber(max) - 1) end
  if length == 1 or ttlChanged then followRecord(record, list) end
end
`;

/** Sets the removal instant (or '' for never) of a record and of its companion keys. */
export const SET_REMOVAL = `
local function setRemoval(removal, keys)
  for _, key in ipairs(keys) do
    if removal == '' then redis.call('PERSIST', key) else redis.call('PEXPIREAT', key, removal) end
  end
end
`;

/** How long a code's undelivered events are kept: the webhook's 24 h of retries, with days to spare. */
export const OUTBOX_KEEP_MS = 7 * 24 * 3_600_000;

/**
 * Appends an event to the code's outbox, with the record as it stands (raw fields; none once
 * deleted), in the same script as the change it tells: no change without its event. The outbox
 * lives OUTBOX_KEEP_MS from its oldest waiting event (it is deleted once relayed).
 */
export const EMIT = `
local function emit(outbox, record, event)
  event.record = redis.call('HGETALL', record)
  if redis.call('RPUSH', outbox, cjson.encode(event)) == 1 then
    redis.call('PEXPIRE', outbox, ${OUTBOX_KEEP_MS})
  end
end
`;
