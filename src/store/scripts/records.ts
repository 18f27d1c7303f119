import { FIELD as F } from '../record.js';
import { defineScript } from './define.js';
import { EMIT, NORMALIZE, PUSH_CAPPED, REDIS_TIME, SET_REMOVAL } from './lua.js';

/** A field → value table as HSET's arguments: one HSET, so the hash is written in one piece. */
const FLATTEN = `
local function flatten(fields)
  local list = {}
  for field, value in pairs(fields) do
    list[#list + 1] = field
    list[#list + 1] = value
  end
  return list
end
`;

/** Refuses a write that arrives after its deadline: the service has answered 503 by then. */
const TOO_LATE = `${REDIS_TIME}
if redisTime() > tonumber(deadline) then return {'too_late'} end
`;

/**
 * Creates a record, with its TTL in the same step. A record whose ID is its own name also has
 * that name's pointer key (same slot) checked: the name may point at another record, or the ID
 * may be held by a record renamed since. Its creation is the first event of its history, which
 * the record itself tells, so the history list is made only when something else happens.
 *
 * KEYS  record, pointer (the pointer key of the name `ownName`), outbox
 * ARGV  ownName   the name when the ID is the name, else ''
 *       fields    JSON object: field → value
 *       removal   epoch ms when Redis removes it, or '' for never
 *       deadline  Redis time (ms) after which nothing is written
 *       event     the `created` event (JSON, without the record: see EMIT)
 * Returns {'ok'} | {'taken'} (a record bears the name) | {'occupied'} (the ID is held by a
 *         record renamed since) | {'pointer', id} (the name points at record id) | {'too_late'}
 */
export const createRecordScript = defineScript<
  ['ok'] | ['taken'] | ['occupied'] | ['pointer', string] | ['too_late']
>()({
  name: 'icCreateRecord',
  keys: ['record', 'pointer', 'outbox'],
  args: ['ownName', 'fields', 'removal', 'deadline', 'event'],
  lua: `${NORMALIZE}${SET_REMOVAL}${FLATTEN}${EMIT}${TOO_LATE}
if ownName ~= '' then
  local pointed = redis.call('GET', pointer)
  if pointed then return {'pointer', pointed} end
end
local existing = redis.call('HGET', record, '${F.code}')
if existing then
  if normalize(existing) == ownName then return {'taken'} end
  return {'occupied'}
end
redis.call('HSET', record, unpack(flatten(cjson.decode(fields))))
setRemoval(removal, {record})
emit(outbox, record, cjson.decode(event))
return {'ok'}
`,
});

/**
 * Changes a record, as compare-and-set: only if neither its version nor its count moved since
 * the caller read it (the caller derived limitReachedAt and the removal instant from them).
 *
 * KEYS  record, history, outbox
 * ARGV  version, timesUsed  what the caller read
 *       set       JSON object: field → value;  unset  JSON array of fields to delete
 *       removal   epoch ms, or '' for never (record and history alike)
 *       entry     the history event (JSON), historyLength
 *       eventId   the ID of the event the history entry becomes in the outbox (see EMIT)
 *       deadline  Redis time (ms) after which nothing is written
 * Returns {'ok'} | {'moved'} | {'code_not_found'} | {'too_late'}
 */
export const updateRecordScript = defineScript<['ok' | 'moved' | 'code_not_found' | 'too_late']>()({
  name: 'icUpdateRecord',
  keys: ['record', 'history', 'outbox'],
  args: [
    'version',
    'timesUsed',
    'set',
    'unset',
    'removal',
    'entry',
    'historyLength',
    'eventId',
    'deadline',
  ],
  lua: `${SET_REMOVAL}${PUSH_CAPPED}${FLATTEN}${EMIT}${TOO_LATE}
local current = redis.call('HMGET', record, '${F.version}', '${F.timesUsed}')
if not current[1] then return {'code_not_found'} end
if current[1] ~= version or (current[2] or '0') ~= timesUsed then return {'moved'} end
for _, field in ipairs(cjson.decode(unset)) do redis.call('HDEL', record, field) end
redis.call('HSET', record, unpack(flatten(cjson.decode(set))))
setRemoval(removal, {record, history})
pushCapped(record, history, entry, historyLength, false)
local event = cjson.decode(entry)
event.id = eventId
emit(outbox, record, event)
return {'ok'}
`,
});

/**
 * Deletes a record with its history (and an earlier version's registry); its `removed` event
 * keeps the record as it was.
 *
 * KEYS  record, history, legacyRegistry, outbox
 * ARGV  version   the expected version, or '' for any
 *       deadline  Redis time (ms) after which nothing is deleted
 *       event     the `removed` event (JSON, without the record)
 * Returns {'ok'} | {'version_conflict'} | {'code_not_found'} | {'too_late'}
 */
export const deleteRecordScript = defineScript<
  ['ok' | 'version_conflict' | 'code_not_found' | 'too_late']
>()({
  name: 'icDeleteRecord',
  keys: ['record', 'history', 'legacyRegistry', 'outbox'],
  args: ['version', 'deadline', 'event'],
  lua: `${EMIT}${TOO_LATE}
local current = redis.call('HGET', record, '${F.version}')
if not current then return {'code_not_found'} end
if version ~= '' and version ~= current then return {'version_conflict'} end
emit(outbox, record, cjson.decode(event))
redis.call('DEL', record, history, legacyRegistry)
return {'ok'}
`,
});

/**
 * Notes an event that changes nothing else (a share into a channel).
 *
 * KEYS  record, history
 * ARGV  entry (JSON), historyLength
 * Returns 1, or 0 when the record is gone.
 */
export const addHistoryScript = defineScript<number>()({
  name: 'icAddHistory',
  keys: ['record', 'history'],
  args: ['entry', 'historyLength'],
  lua: `${PUSH_CAPPED}
if redis.call('EXISTS', record) == 0 then return 0 end
pushCapped(record, history, entry, historyLength, false)
return 1
`,
});
