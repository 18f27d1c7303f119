import { defineScript } from './define.js';

/**
 * Draws the next account number for a username prefix, such that no two prefixes ever yield the
 * same account ID. Prefix + number can only collide between prefixes that differ by trailing
 * digits (`zq` + `10001` = `zq1` + `0001`), so all prefixes of one stem (the prefix without its
 * trailing digits) keep their counters in one hash, field = those trailing digits. A number is
 * skipped when its digits also read as another counter's tail plus a number that counter has
 * already drawn; a number that counter draws later is checked then, against this one.
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
local function drawnByAnother(digits)
  for cut = 0, #digits - 4 do
    local other, rest = string.sub(digits, 1, cut), string.sub(digits, cut + 1)
    local wellFormed = #rest == 4 or string.sub(rest, 1, 1) ~= '0'
    if other ~= tail and wellFormed then
      local drawn, number = tonumber(redis.call('HGET', counters, other)), tonumber(rest)
      if drawn and number >= 1 and number <= drawn then return true end
    end
  end
  return false
end
while true do
  local n = redis.call('HINCRBY', counters, tail, 1)
  if not drawnByAnother(tail .. string.format('%04d', n)) then return n end
end
`,
});
