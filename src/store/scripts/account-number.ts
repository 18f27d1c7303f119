import { defineScript } from './define.js';

/**
 * Draws the next account number for a username prefix, such that no two prefixes ever yield the
 * same account ID. Prefix + number can only collide between prefixes that differ by trailing
 * digits (`zq` + `10001` = `zq1` + `0001`), so all prefixes of one stem (the prefix without its
 * trailing digits) keep their counters in one hash, field = those trailing digits. A number whose
 * digits could also be read as another counter's tail plus a number is skipped.
 *
 * KEYS  counters  the stem's hash: trailing digits → last number drawn
 * ARGV  tail      this prefix's trailing digits ('' for none)
 * Returns the number (≥ 1).
 */
export const drawAccountNumberScript = defineScript<number>()({
  name: 'icDrawAccountNumber',
  keys: ['counters'],
  args: ['tail'],
  lua: `
local function readableAsAnother(digits)
  for cut = 0, #digits - 4 do
    local other, rest = string.sub(digits, 1, cut), string.sub(digits, cut + 1)
    local wellFormed = rest ~= '0000' and (#rest == 4 or string.sub(rest, 1, 1) ~= '0')
    if other ~= tail and wellFormed and redis.call('HEXISTS', counters, other) == 1 then
      return true
    end
  end
  return false
end
while true do
  local n = redis.call('HINCRBY', counters, tail, 1)
  if not readableAsAnother(tail .. string.format('%04d', n)) then return n end
end
`,
});
