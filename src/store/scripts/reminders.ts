import { defineScript } from './define.js';

/**
 * Takes a reminder for sending, unless it was sent or another run is sending it (its hold has not
 * ended). The hold ends by itself, so a replica that dies while sending leaves the reminder to a
 * later run: sent again rather than lost.
 *
 * KEYS  reminders (the code's hash: sent reminders by field, and holds)
 * ARGV  field, hold (the hold's field), now, holdMs, keepUntil (epoch ms for the hash's TTL, or
 *       '' for none)
 * Returns 1 when taken, 0 when sent, else the end of the other run's hold (epoch ms).
 */
export const claimReminderScript = defineScript<number>()({
  name: 'icClaimReminder',
  keys: ['reminders'],
  args: ['field', 'hold', 'now', 'holdMs', 'keepUntil'],
  lua: `
if redis.call('HEXISTS', reminders, field) == 1 then return 0 end
local heldUntil = tonumber(redis.call('HGET', reminders, hold))
if heldUntil and heldUntil > tonumber(now) then return heldUntil end
redis.call('HSET', reminders, hold, tonumber(now) + tonumber(holdMs))
if keepUntil == '' then redis.call('PERSIST', reminders)
else redis.call('PEXPIREAT', reminders, keepUntil) end
return 1
`,
});
