import { FIELD as F } from '../record.js';
import { defineScript } from './define.js';
import { NORMALIZE } from './lua.js';

/**
 * Claims a name for a record. The name is taken by a live record whose ID is the name (same
 * slot), or by a pointer to another record that may still be alive (`replaceable` names one the
 * caller found dead, which may be replaced). A record whose ID is the name needs no pointer.
 *
 * KEYS  pointer (the name's pointer key), namesake (the record whose ID is the name)
 * ARGV  id, replaceable ('' for none), removal (epoch ms, or '' for never), name
 * Returns {1} | {0, holder}
 */
export const claimNameScript = defineScript<[1] | [0, string]>()({
  name: 'icClaimName',
  keys: ['pointer', 'namesake'],
  args: ['id', 'replaceable', 'removal', 'name'],
  lua: `${NORMALIZE}
local owner = redis.call('HGET', namesake, '${F.code}')
if owner and normalize(owner) == name and id ~= name then return {0, name} end
local current = redis.call('GET', pointer)
if current and current ~= id and current ~= replaceable then return {0, current} end
if id == name then
  redis.call('DEL', pointer)
  return {1}
end
redis.call('SET', pointer, id)
if removal ~= '' then redis.call('PEXPIREAT', pointer, removal) end
return {1}
`,
});

/**
 * If the name still points at record `id`: gives the pointer the record's removal instant
 * ('' = never), or with removal = 'delete' drops it.
 *
 * KEYS  pointer
 * ARGV  id, removal
 * Returns 1, or 0 when the pointer points elsewhere.
 */
export const setNameLifetimeScript = defineScript<number>()({
  name: 'icSetNameLifetime',
  keys: ['pointer'],
  args: ['id', 'removal'],
  lua: `
if redis.call('GET', pointer) ~= id then return 0 end
if removal == 'delete' then redis.call('DEL', pointer)
elseif removal == '' then redis.call('PERSIST', pointer)
else redis.call('PEXPIREAT', pointer, removal) end
return 1
`,
});
