import { defineScript } from './define.js';
import { EMIT, OUTBOX_KEEP_MS } from './lua.js';

/**
 * Takes relayed events off the head of a code's outbox: only if the head is still `head` (so a
 * relay whose lease was taken over meanwhile pops nothing), and moves them onto the webhook's
 * queue when there is a webhook.
 *
 * KEYS  outbox, webhookQueue
 * ARGV  head (the first entry relayed, as read), count, toWebhook ('1' or '0')
 * Returns how many entries were taken.
 */
export const takeRelayedScript = defineScript<number>()({
  name: 'icTakeRelayed',
  keys: ['outbox', 'webhookQueue'],
  args: ['head', 'count', 'toWebhook'],
  lua: `
if redis.call('LINDEX', outbox, 0) ~= head then return 0 end
local taken = redis.call('LPOP', outbox, tonumber(count))
if toWebhook == '1' then
  redis.call('RPUSH', webhookQueue, unpack(taken))
  redis.call('PEXPIRE', webhookQueue, ${OUTBOX_KEEP_MS})
end
return #taken
`,
});

/**
 * Appends a relay's batch of events to the stream, in order: one call for the batch rather than
 * an XADD each (the relay's cost per event is mostly the client's per-command work).
 *
 * KEYS  stream
 * ARGV  maxLength (EVENTS_STREAM_MAXLEN, trimmed with ~), then each event's ID, type and JSON
 * Returns how many were added.
 */
export const publishEventsScript = defineScript<number>()({
  name: 'icPublishEvents',
  keys: ['stream'],
  args: ['maxLength'],
  lua: `
for i = 2, #ARGV, 3 do
  redis.call('XADD', stream, 'MAXLEN', '~', maxLength, '*', 'id', ARGV[i], 'type', ARGV[i + 1],
    'event', ARGV[i + 2])
end
return (#ARGV - 1) / 3
`,
});

/**
 * Ends the webhook's work on the oldest waiting event (delivered, or given up after its 24 h):
 * pops it if it is still the head, and clears its retry state.
 *
 * KEYS  webhookQueue, relayState
 * ARGV  head (the entry as read)
 * Returns 1, or 0 when the head was another entry.
 */
export const finishDeliveryScript = defineScript<number>()({
  name: 'icFinishDelivery',
  keys: ['webhookQueue', 'relayState'],
  args: ['head'],
  lua: `
if redis.call('LINDEX', webhookQueue, 0) ~= head then return 0 end
redis.call('LPOP', webhookQueue)
redis.call('HDEL', relayState, 'attempts', 'retryAt', 'failingSince')
return 1
`,
});

/**
 * Emits the code's `expired` event once for the instant it stopped being usable by time (its
 * expiry, or the end of its grace after the limit): a second call for that instant does nothing.
 *
 * KEYS  record, outbox, relayState
 * ARGV  stoppedAt (the instant, epoch ms), event (JSON, without the record)
 * Returns 1 when emitted, 0 when it already was or the record is gone.
 */
export const emitExpiryScript = defineScript<number>()({
  name: 'icEmitExpiry',
  keys: ['record', 'outbox', 'relayState'],
  args: ['stoppedAt', 'event'],
  lua: `${EMIT}
if redis.call('EXISTS', record) == 0 then return 0 end
if redis.call('HGET', relayState, 'expiredFor') == stoppedAt then return 0 end
emit(outbox, record, cjson.decode(event))
redis.call('HSET', relayState, 'expiredFor', stoppedAt)
redis.call('PEXPIRE', relayState, ${OUTBOX_KEEP_MS})
return 1
`,
});
