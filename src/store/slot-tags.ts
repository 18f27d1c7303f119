import calculateSlot from 'cluster-key-slot';

/** Redis Cluster's hash slots. */
export const SLOTS = 16_384;
/** A tag's length: 4 symbols of 32 reach every slot (all are met within the first 151,000). */
export const SLOT_TAG_LENGTH = 4;
const SYMBOLS = '0123456789abcdefghjkmnpqrstvwxyz';

const tagsBySlot: string[] = [];
let nextCandidate = 0;

/**
 * A short hash tag (4 lower-case Crockford symbols) whose key lands in `slot`: a key with this
 * tag shares the slot, so one script may write it beside the keys of that slot. Found by counting
 * up once, as slots are asked for (at most about 151,000 candidates in all, 20 ms).
 */
export function tagOfSlot(slot: number): string {
  let tag = tagsBySlot[slot];
  while (tag === undefined) {
    const candidate = symbolsOf(nextCandidate++);
    tagsBySlot[calculateSlot(candidate)] ??= candidate;
    tag = tagsBySlot[slot];
  }
  return tag;
}

/** The tag of the slot that `key` (with its own hash tag, if any) lands in. */
export function tagBeside(key: string): string {
  return tagOfSlot(calculateSlot(key));
}

function symbolsOf(n: number): string {
  let out = '';
  for (let i = 0, rest = n; i < SLOT_TAG_LENGTH; i++, rest = Math.floor(rest / 32)) {
    out = SYMBOLS[rest % 32] + out;
  }
  return out;
}
