/**
 * Every Redis key of the service. Braces are Redis Cluster hash tags: a code's record and all
 * that a redemption of it writes share its record ID's slot, so each script touches one slot,
 * while different codes spread over the cluster. A record's ID is the name it was created with,
 * so a name's pointer and the record bearing that name as ID share a slot too.
 */
export function keysFor(prefix: string) {
  return {
    /** Only for a code renamed since its creation: its normalised name → its record ID. */
    name: (normalizedCode: string) => `${prefix}name:{${normalizedCode}}`,
    record: (id: string) => `${prefix}code:{${id}}`,
    history: (id: string) => `${prefix}code:{${id}}:history`,
    idempotency: (id: string, keyHash: string) => `${prefix}code:{${id}}:idem:${keyHash}`,
    /** The device registry: what redemptions of this code installed (kept after the code is gone). */
    devices: (id: string) => `${prefix}devices:{${id}}`,
    accounts: (id: string) => `${prefix}accounts:{${id}}`,
    /** The account numbers drawn for a username prefix, across every code that uses it. */
    accountNumbers: (usernamePrefix: string) => `${prefix}prefix:{${usernamePrefix}}`,
    /** Every code as creation instant + ID (see indexMember): the list pages through it newest first. */
    index: `${prefix}codes`,
    /** Where the index's sweep for codes that are gone goes on from. */
    indexSweep: `${prefix}codes-sweep`,
    redeemFailures: `${prefix}redeem-failures`,
  };
}

export type Keys = ReturnType<typeof keysFor>;
