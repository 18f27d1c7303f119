import { defineScript } from './define.js';

/**
 * Entries a bucket holds at most: under Redis's default `zset-max-listpack-entries` (128), so a
 * bucket stays a compact listpack (about 30 B an entry) instead of a skiplist (about 130 B).
 */
export const INDEX_BUCKET_SIZE = 120;

/**
 * The index is a sorted set of buckets (its directory: each bucket's lowest possible member),
 * each bucket a small sorted set of entries (score 0, ordered by member). The first bucket, from
 * the empty member on, is never in the directory. Bucket keys are the directory's key, `:` and
 * their start: made here, in the directory's hash tag (so in its slot), as each script needs
 * the buckets its members fall in.
 */
const BUCKETS = `
local function bucketKey(start) return directory .. ':' .. start end
local function bucketOf(member)
  return redis.call('ZRANGE', directory, '[' .. member, '-', 'BYLEX', 'REV', 'LIMIT', 0, 1)[1] or ''
end
local function bucketBefore(start)
  if start == '' then return nil end
  return redis.call('ZRANGE', directory, '(' .. start, '-', 'BYLEX', 'REV', 'LIMIT', 0, 1)[1] or ''
end
`;

/**
 * Adds entries. A bucket grown past its size splits: a new newest entry (as new codes are)
 * starts a bucket of its own, so buckets fill up; any other split moves the upper half.
 *
 * KEYS  directory;  ARGV  the entries
 */
export const indexAddScript = defineScript<number>()({
  name: 'icIndexAdd',
  keys: ['directory'],
  args: [],
  lua: `${BUCKETS}
for _, member in ipairs(ARGV) do
  local bucket = bucketKey(bucketOf(member))
  redis.call('ZADD', bucket, 0, member)
  if redis.call('ZCARD', bucket) > ${INDEX_BUCKET_SIZE} then
    local moved = redis.call('ZRANGE', bucket, -1, -1)
    if moved[1] ~= member then moved = redis.call('ZRANGE', bucket, ${INDEX_BUCKET_SIZE / 2}, -1) end
    local scored = {}
    for _, entry in ipairs(moved) do
      scored[#scored + 1] = 0
      scored[#scored + 1] = entry
    end
    redis.call('ZADD', bucketKey(moved[1]), unpack(scored))
    redis.call('ZREM', bucket, unpack(moved))
    redis.call('ZADD', directory, 0, moved[1])
  end
end
return #ARGV
`,
});

/**
 * Removes entries; a bucket left empty leaves the directory (the bucket before it covers its range).
 *
 * KEYS  directory;  ARGV  the entries
 * Returns how many were there.
 */
export const indexRemoveScript = defineScript<number>()({
  name: 'icIndexRemove',
  keys: ['directory'],
  args: [],
  lua: `${BUCKETS}
local removed = 0
for _, member in ipairs(ARGV) do
  local start = bucketOf(member)
  if redis.call('ZREM', bucketKey(start), member) == 1 then
    removed = removed + 1
    if start ~= '' and redis.call('EXISTS', bucketKey(start)) == 0 then
      redis.call('ZREM', directory, start)
    end
  end
end
return removed
`,
});

/**
 * Up to `count` entries below `after` ('' for the newest), newest first, across buckets.
 *
 * KEYS  directory;  ARGV  after, count
 */
export const indexPageScript = defineScript<string[]>()({
  name: 'icIndexPage',
  keys: ['directory'],
  args: ['after', 'count'],
  lua: `${BUCKETS}
local wanted = tonumber(count)
local page = {}
local start, from
if after == '' then
  start = redis.call('ZRANGE', directory, '+', '-', 'BYLEX', 'REV', 'LIMIT', 0, 1)[1] or ''
  from = '+'
else
  start = bucketOf(after)
  from = '(' .. after
end
while start and #page < wanted do
  local entries = redis.call('ZRANGE', bucketKey(start), from, '-', 'BYLEX', 'REV', 'LIMIT', 0, wanted - #page)
  for _, entry in ipairs(entries) do page[#page + 1] = entry end
  start = bucketBefore(start)
  from = '+'
end
return page
`,
});
