import { defineScript } from './define.js';
import { REDIS_TIME } from './lua.js';

/**
 * A claimed task's score is the end of its lease plus half a millisecond, so that a request to
 * run it while it runs can tell: instead of making it due (and so claimable by another replica,
 * alongside), it marks it, plus three quarters, and the run's end makes it due. Instants are
 * whole milliseconds, and so are the ends of leases: the fractions are exact.
 */
const LEASED = 0.5;
const ASKED_AGAIN = 0.75;

/** A lease's score as text: whole milliseconds and the fraction (Lua's tostring keeps 14 digits). */
const LEASE_SCORE = `
local function leaseScore(instant, fraction)
  return string.format('%d', instant) .. string.sub(tostring(fraction), 2)
end
`;

/**
 * Claims up to `limit` tasks that are due: each is leased `leaseMs` into the future, so no other
 * replica takes it while this one works on it (renewLease keeps the lease while the run lasts),
 * and another does once the lease has run out (its replica died).
 *
 * KEYS  schedule (a sorted set: task → due instant, epoch ms of Redis's clock)
 * ARGV  now, leaseMs, limit
 * Returns {task, lease, task, lease, …}: the lease is the score renewLease and finishTask expect.
 */
export const claimTasksScript = defineScript<string[]>()({
  name: 'icClaimTasks',
  keys: ['schedule'],
  args: ['now', 'leaseMs', 'limit'],
  lua: `${LEASE_SCORE}
local due = redis.call('ZRANGEBYSCORE', schedule, '-inf', now, 'LIMIT', 0, limit)
local lease = leaseScore(tonumber(now) + tonumber(leaseMs), ${LEASED})
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
 * Extends a claimed task's lease to `leaseMs` from now (Redis's clock), keeping its mark if it
 * was asked for meanwhile: the replica running it is alive.
 *
 * KEYS  schedule
 * ARGV  task, lease (as claimed or last renewed), leaseMs
 * Returns the new lease, or '' when the task is no longer this lease's (another replica took it over).
 */
export const renewLeaseScript = defineScript<string>()({
  name: 'icRenewLease',
  keys: ['schedule'],
  args: ['task', 'lease', 'leaseMs'],
  lua: `${LEASE_SCORE}${REDIS_TIME}
local score = tonumber(redis.call('ZSCORE', schedule, task))
local leased = tonumber(lease)
if score ~= leased and score ~= leased - ${LEASED} + ${ASKED_AGAIN} then return '' end
local ends = redisTime() + tonumber(leaseMs)
redis.call('ZADD', schedule, 'XX', leaseScore(ends, ${LEASED} + score - leased), task)
return leaseScore(ends, ${LEASED})
`,
});

/**
 * Ends a claimed task: due again at `next` ('' = not again) if its lease still stands, or at once
 * if it was asked for while it ran (a change came in), so the change is not lost.
 *
 * KEYS  schedule
 * ARGV  task, lease, next
 * Returns 1, 2 when it was asked for meanwhile (now due), or 0 when another replica took the
 *         task over (its lease had run out).
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
  return 2
end
if score ~= leased then return 0 end
if next == '' then redis.call('ZREM', schedule, task)
else redis.call('ZADD', schedule, next, task) end
return 1
`,
});

/**
 * Makes a task due at `instant`, or keeps it sooner if it already is. A task under way is marked
 * to run again once its run ends instead (see LEASED), so no two replicas run it at once. A
 * marked task whose replica died is due anyway once its lease runs out (its score is the lease's
 * end): another replica takes it over then.
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
