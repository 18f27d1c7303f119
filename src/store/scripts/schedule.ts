import { defineScript } from './define.js';

/**
 * A claimed task's score is the end of its lease plus half a millisecond, so that a request to
 * run it while it runs can tell: instead of making it due (and so claimable by another replica,
 * alongside), it marks it, plus three quarters, and the run's end makes it due. Instants are
 * whole milliseconds, and so are the ends of leases: the fractions are exact.
 */
const LEASED = 0.5;
const ASKED_AGAIN = 0.75;

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
local lease = string.format('%d', tonumber(now) + tonumber(leaseMs)) .. '${String(LEASED).slice(1)}'
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
 * Ends a claimed task: due again at `next` ('' = not again) if its lease still stands, or at once
 * if it was asked for while it ran (a change came in), so the change is not lost.
 *
 * KEYS  schedule
 * ARGV  task, lease, next
 * Returns 1, or 0 when another replica took the task over (its lease had run out).
 */
export const finishTaskScript = defineScript<number>()({
  name: 'icFinishTask',
  keys: ['schedule'],
  args: ['task', 'lease', 'next'],
  lua: `
local score = tonumber(redis.call('ZSCORE', schedule, task))
local leased = tonumber(lease)
if score == leased - ${LEASED} + ${ASKED_AGAIN} then
  redis.call('ZADD', schedule, 0, task)
  return 1
end
if score ~= leased then return 0 end
if next == '' then redis.call('ZREM', schedule, task)
else redis.call('ZADD', schedule, next, task) end
return 1
`,
});

/**
 * Makes a task due at `instant`, or keeps it sooner if it already is; a task under way is marked
 * to run again once its run ends instead (see LEASED), so no two replicas ever run it at once.
 *
 * KEYS  schedule
 * ARGV  task, instant (epoch ms, whole)
 * Returns 1 when it is due as asked, 0 when it runs again after the run under way.
 */
export const makeDueScript = defineScript<number>()({
  name: 'icMakeDue',
  keys: ['schedule'],
  args: ['task', 'instant'],
  lua: `
local score = tonumber(redis.call('ZSCORE', schedule, task))
local fraction = score and score % 1
if fraction == ${LEASED} then
  redis.call('ZADD', schedule, 'XX', score - ${LEASED} + ${ASKED_AGAIN}, task)
  return 0
end
if fraction == ${ASKED_AGAIN} then return 0 end
redis.call('ZADD', schedule, 'LT', instant, task)
return 1
`,
});
