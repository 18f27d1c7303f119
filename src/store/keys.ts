/**
 * Every Redis key of the service. Braces are Redis Cluster hash tags: a code's record and all
 * that a redemption of it writes share its record ID's slot, so each script touches one slot,
 * while different codes spread over the cluster.
 */
export function keysFor(prefix: string) {
  return {
    /** A code's normalised text → its record ID; renames move only this pointer. */
    name: (normalizedCode: string) => `${prefix}name:{${normalizedCode}}`,
    record: (id: string) => `${prefix}code:{${id}}`,
    history: (id: string) => `${prefix}code:{${id}}:history`,
    idempotency: (id: string, keyHash: string) => `${prefix}code:{${id}}:idem:${keyHash}`,
    /** The device registry: what redemptions of this code installed (kept after the code is gone). */
    devices: (id: string) => `${prefix}devices:{${id}}`,
    accounts: (id: string) => `${prefix}accounts:{${id}}`,
    /** The account numbers drawn for a username prefix, across every code that uses it. */
    accountNumbers: (usernamePrefix: string) => `${prefix}prefix:{${usernamePrefix}}`,
    /** Record IDs, which sort by creation time: the list pages through this newest first. */
    index: `${prefix}codes`,
    redeemFailures: `${prefix}redeem-failures`,
  };
}

export type Keys = ReturnType<typeof keysFor>;
