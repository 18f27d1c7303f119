/** An ID that newDeviceId made: `dev_`, its slot tag, 20 random symbols. */
const TAGGED_DEVICE_ID = /^dev_([0-9a-z]{4})[0-9a-z]{20}$/;

/**
 * Every Redis key of the service. Braces are Redis Cluster hash tags: a code's record and all
 * that a redemption of it writes share its record ID's slot, so each script touches one slot,
 * while different codes spread over the cluster. A record's ID is the name it was created with,
 * so a name's pointer and the record bearing that name as ID share a slot too.
 */
export function keysFor(prefix: string) {
  return {
    /**
     * A device that a redemption installed (see DeviceRegistry): its token's hash, account and
     * instants, or after a revoke only when. A device the service named (newDeviceId) is in the
     * slot its ID's tag names, the slot of the code that made it, so the redemption's script
     * writes it; any other (a `use_existing_device` code's, or named before tags) in a slot of
     * its own.
     */
    device: (deviceId: string) => {
      const tag = TAGGED_DEVICE_ID.exec(deviceId)?.[1];
      return tag ? `${prefix}device:{${tag}}${deviceId}` : `${prefix}device:{${deviceId}}`;
    },
    /** Only for a code renamed since its creation: its normalised name → its record ID. */
    name: (normalizedCode: string) => `${prefix}name:{${normalizedCode}}`,
    record: (id: string) => `${prefix}code:{${id}}`,
    /** The newest events of a code; lives as long as its record. */
    history: (id: string) => `${prefix}code:{${id}}:history`,
    /**
     * The per-code registry of earlier versions (the devices its redemptions installed), no longer
     * written: the device records, the history and the event stream tell the same. Deleted with
     * its code; until then it keeps the TTL it had.
     */
    legacyRegistry: (id: string) => `${prefix}code:{${id}}:devices`,
    /**
     * Events of the code not yet relayed (see EventRelay): written by the same script as the
     * change or redemption they tell; outlives the record until relayed, at most OUTBOX_KEEP_MS.
     */
    outbox: (id: string) => `${prefix}code:{${id}}:outbox`,
    /** SCAN patterns of every code's outbox and webhook queue (the prefix's glob characters escaped). */
    pendingEventsPatterns: [
      `${globEscaped(prefix)}code:{*}:outbox`,
      `${globEscaped(prefix)}code:{*}:webhook`,
    ],
    /** Events relayed to the stream and waiting for the webhook, oldest first (same lifetime). */
    webhookQueue: (id: string) => `${prefix}code:{${id}}:webhook`,
    /** The webhook's retry state of the code's oldest waiting event, and its last expiry event. */
    relayState: (id: string) => `${prefix}code:{${id}}:relay`,
    idempotency: (id: string, keyHash: string) => `${prefix}code:{${id}}:idem:${keyHash}`,
    /** Which code a device's Idempotency-Key was first used with (the code's name). */
    idempotencyClaim: (keyHash: string) => `${prefix}idem:{${keyHash}}`,
    /** The account numbers drawn for the username prefixes of one stem (see drawAccountNumberScript). */
    accountNumbers: (stem: string) => `${prefix}account-numbers:{${stem}}`,
    /** Before account-numbers: the last number drawn for one username prefix (read once, to carry on from). */
    legacyAccountNumber: (usernamePrefix: string) => `${prefix}prefix:{${usernamePrefix}}`,
    /**
     * Every code as creation instant + ID (see indexMember), for the list to page through newest
     * first: this sorted set is the directory of its buckets, `codes:{index}:<start>` (see
     * scripts/code-index.ts), all in one slot.
     */
    index: `${prefix}codes:{index}`,
    /** The index of earlier versions, one sorted set: its entries are moved into `index` (adoptLegacy). */
    legacyIndex: `${prefix}codes`,
    /** Where the index's sweep for codes that are gone goes on from. */
    indexSweep: `${prefix}codes-sweep`,
    redeemFailures: `${prefix}redeem-failures`,
    /** Every event, for consumers reading with consumer groups (EVENTS_STREAM_MAXLEN, trimmed approximately). */
    events: `${prefix}events`,
    /** The event relay's tasks (a Schedule of its own): relay a code's outbox, tell its expiry, sweep. */
    eventSchedule: `${prefix}event-relay`,
    /** Where the walk that plans codes' expiry tasks stands (see ExpiryWalk). */
    expiryWalk: `${prefix}expiry-walk`,
    /** Set while an admin has been told that webhook deliveries fail (one message an hour at most). */
    webhookAlert: `${prefix}webhook-alert`,
    /** Tasks due at an instant (see Schedule): card refreshes, the App Home, reminders. */
    schedule: `${prefix}schedule`,
    /** The Slack messages a code was shared in (see SharedCards); outlives the record a little. */
    cards: (id: string) => `${prefix}code:{${id}}:cards`,
    /** Which reminders of a code were sent, and whether they are muted; outlives the record a little. */
    reminders: (id: string) => `${prefix}code:{${id}}:reminders`,
    /** Who has the App Home open, by when they last opened or used it. */
    homeViewers: `${prefix}home-viewers`,
    /** One person's App Home: the tab, filter and page they chose, and what was last published. */
    home: (userId: string) => `${prefix}home:${userId}`,
    /** A Slack event ID claimed by the replica that handles it. */
    slackEvent: (eventId: string) => `${prefix}slack-event:${eventId}`,
    /** A signed Slack request (its verified X-Slack-Signature) claimed by the replica that handles it. */
    slackRequest: (signature: string) => `${prefix}slack-request:${signature}`,
    /**
     * A staff member's request to remove a code, and the admins' decision. Every key of every
     * request shares one hash tag: the scripts that open and decide a request also touch the
     * pending index and the code's pending pointer, and requests are few.
     */
    removalRequest: (id: string) => `${prefix}removal-requests:{removal}:${id}`,
    /** The messages (channel and ts) that show the request to the admins: updated once it is decided. */
    removalCopies: (id: string) => `${prefix}removal-requests:{removal}:${id}:copies`,
    /** The code's pending request, while there is one: a second request is told about it instead. */
    removalPendingFor: (codeId: string) => `${prefix}removal-requests:{removal}:code:${codeId}`,
    /** Pending requests by when they were made (epoch ms), for the App Home. */
    removalPending: `${prefix}removal-requests:{removal}:pending`,
  };
}

export type Keys = ReturnType<typeof keysFor>;

/** Text matched literally by a SCAN MATCH pattern. */
function globEscaped(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
