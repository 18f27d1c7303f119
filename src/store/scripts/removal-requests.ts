import { defineScript } from './define.js';
import { REDIS_TIME } from './lua.js';

/**
 * A removal request is a hash (codeId, code, requestedBy, reason, at; once decided: decision,
 * decidedBy, decidedAt), the list of its copies ("channel ts"), its entry in the pending index and
 * the code's pending pointer. All share one hash tag (store/keys.ts), so each script is atomic,
 * also across replicas: the first decision wins.
 */

/**
 * Opens a request, unless the code already has a pending one. Index entries older than a
 * pending request lives are dropped on the way, so the index stays bounded.
 *
 * KEYS  record, pending (the index), pendingFor (the code's pointer)
 * ARGV  id, codeId, code, requestedBy, reason, ttlMs (how long a request may wait for a decision)
 * Returns {1, at} | {0, the pending request's id}
 */
export const openRemovalRequestScript = defineScript<[1, number] | [0, string]>()({
  name: 'icOpenRemovalRequest',
  keys: ['record', 'pending', 'pendingFor'],
  args: ['id', 'codeId', 'code', 'requestedBy', 'reason', 'ttlMs'],
  lua: `${REDIS_TIME}
local existing = redis.call('GET', pendingFor)
if existing then return {0, existing} end
local at = redisTime()
redis.call('HSET', record, 'codeId', codeId, 'code', code, 'requestedBy', requestedBy,
  'reason', reason, 'at', at)
redis.call('PEXPIRE', record, ttlMs)
redis.call('SET', pendingFor, id, 'PX', ttlMs)
redis.call('ZADD', pending, at, id)
redis.call('ZREMRANGEBYSCORE', pending, '-inf', '(' .. (at - tonumber(ttlMs)))
return {1, at}
`,
});

/**
 * Records a message that shows the request. Should the request be decided already (an admin was
 * quicker than the posting), the caller updates that message itself.
 *
 * KEYS  record, copies
 * ARGV  copy ("channel ts")
 * Returns {'missing'} | {'ok', decision ('' while pending), decidedBy, decidedAt}
 */
export const addRemovalCopyScript = defineScript<['missing'] | ['ok', string, string, string]>()({
  name: 'icAddRemovalCopy',
  keys: ['record', 'copies'],
  args: ['copy'],
  lua: `
local ttl = redis.call('PTTL', record)
if ttl < 0 then return {'missing'} end
redis.call('RPUSH', copies, copy)
redis.call('PEXPIRE', copies, ttl)
local d = redis.call('HMGET', record, 'decision', 'decidedBy', 'decidedAt')
return {'ok', d[1] or '', d[2] or '', d[3] or ''}
`,
});

/**
 * Decides a pending request: the first decision wins, every later one gets the first.
 *
 * KEYS  record, copies, pending, pendingFor
 * ARGV  id, decision, by, ttlMs (how long the decided request is kept)
 * Returns {'missing'} | {'won', decidedAt} | {'decided', decision, decidedBy, decidedAt}
 */
export const decideRemovalRequestScript = defineScript<
  ['missing'] | ['won', number] | ['decided', string, string, string]
>()({
  name: 'icDecideRemovalRequest',
  keys: ['record', 'copies', 'pending', 'pendingFor'],
  args: ['id', 'decision', 'by', 'ttlMs'],
  lua: `${REDIS_TIME}
if redis.call('EXISTS', record) == 0 then return {'missing'} end
local d = redis.call('HMGET', record, 'decision', 'decidedBy', 'decidedAt')
if d[1] then return {'decided', d[1], d[2], d[3]} end
local at = redisTime()
redis.call('HSET', record, 'decision', decision, 'decidedBy', by, 'decidedAt', at)
redis.call('PEXPIRE', record, ttlMs)
redis.call('PEXPIRE', copies, ttlMs)
redis.call('ZREM', pending, id)
if redis.call('GET', pendingFor) == id then redis.call('DEL', pendingFor) end
return {'won', at}
`,
});

/**
 * Takes back a decision that could not be carried out (the code's removal failed), so that the
 * request is pending again, as long as nobody else decided since.
 *
 * KEYS  record, pending, pendingFor
 * ARGV  id, by, decidedAt, ttlMs
 * Returns 1, or 0 when the decision was not this one.
 */
export const reopenRemovalRequestScript = defineScript<number>()({
  name: 'icReopenRemovalRequest',
  keys: ['record', 'pending', 'pendingFor'],
  args: ['id', 'by', 'decidedAt', 'ttlMs'],
  lua: `
local d = redis.call('HMGET', record, 'decidedBy', 'decidedAt', 'at')
if d[1] ~= by or d[2] ~= decidedAt then return 0 end
redis.call('HDEL', record, 'decision', 'decidedBy', 'decidedAt')
redis.call('PEXPIRE', record, ttlMs)
redis.call('SET', pendingFor, id, 'PX', ttlMs, 'NX')
redis.call('ZADD', pending, d[3], id)
return 1
`,
});

/**
 * Forgets a request that could be shown to no admin, so that it may be asked again.
 *
 * KEYS  record, copies, pending, pendingFor
 * ARGV  id
 * Returns 1
 */
export const withdrawRemovalRequestScript = defineScript<number>()({
  name: 'icWithdrawRemovalRequest',
  keys: ['record', 'copies', 'pending', 'pendingFor'],
  args: ['id'],
  lua: `
redis.call('DEL', record, copies)
redis.call('ZREM', pending, id)
if redis.call('GET', pendingFor) == id then redis.call('DEL', pendingFor) end
return 1
`,
});
