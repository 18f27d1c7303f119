import { defineScript } from './define.js';

/**
 * Claims up to `limit` tasks that are due: each is pushed `leaseMs` into the future, so no other
 * replica takes it while this one works on it, and another does if this one dies meanwhile.
 *
 * KEYS  schedule (a sorted set: task → due instant, epoch ms of Redis's clock)
 * ARGV  now, leaseMs, limit
 * Returns {task, lease, task, lease, …}: the lease is the score finishTask expects.
 */
export const claimTasksScript = defineScript<string[]>()({
  name: 'icClaimTasks',
  keys: ['schedule'],
  args: ['now', 'leaseMs', 'limit'],
  lua: `
local due = redis.call('ZRANGEBYSCORE', schedule, '-inf', now, 'LIMIT', 0, limit)
local lease = tostring(tonumber(now) + tonumber(leaseMs))
local claimed = {}
for _, task in ipairs(due) do
  redis.call('ZADD', schedule, 'XX', lease, task)
  claimed[#claimed + 1] = task
  claimed[#claimed + 1] = lease
end
return claimed
`,
});

/**
 * Ends a claimed task: due again at `next` ('' = not again) if its lease still stands. A task
 * made due sooner while it ran (a change came in) keeps that instant, so the change is not lost.
 *
 * KEYS  schedule
 * ARGV  task, lease, next
 * Returns 1, or 0 when the task was rescheduled meanwhile.
 */
export const finishTaskScript = defineScript<number>()({
  name: 'icFinishTask',
  keys: ['schedule'],
  args: ['task', 'lease', 'next'],
  lua: `
local score = redis.call('ZSCORE', schedule, task)
if not score or tonumber(score) ~= tonumber(lease) then return 0 end
if next == '' then redis.call('ZREM', schedule, task)
else redis.call('ZADD', schedule, next, task) end
return 1
`,
});
