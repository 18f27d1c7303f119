import calculateSlot from 'cluster-key-slot';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newDeviceId } from '../../src/codes/ids.js';
import { keysFor } from '../../src/store/keys.js';
import { SLOT_TAG_LENGTH, SLOTS, tagBeside, tagOfSlot } from '../../src/store/slot-tags.js';

describe('slot tags', () => {
  it('has a tag of 4 symbols for every one of the 16,384 slots, landing in that slot', () => {
    for (let slot = 0; slot < SLOTS; slot++) {
      const tag = tagOfSlot(slot);
      expect(tag).toMatch(new RegExp(`^[0-9a-z]{${SLOT_TAG_LENGTH}}$`));
      expect(calculateSlot(`any:{${tag}}key`)).toBe(slot);
    }
  });

  it('puts a new device’s record in the slot of the code whose redemption made it', () => {
    const keys = keysFor('p:');
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9A-Z]{4,64}$/), (id) => {
        const record = keys.record(id);
        const deviceId = newDeviceId(tagBeside(record));
        expect(calculateSlot(keys.device(deviceId))).toBe(calculateSlot(record));
      }),
    );
  });

  it('keeps an ID it did not make (an existing device’s, an earlier one’s) in a slot of its own', () => {
    const keys = keysFor('p:');
    expect(keys.device('device.42')).toBe('p:device:{device.42}');
    expect(keys.device('dev_0123456789abcdefghjk')).toBe('p:device:{dev_0123456789abcdefghjk}');
    expect(keys.device('dev_ab12ab12ab12ab12ab12ab12')).toBe(
      'p:device:{ab12}dev_ab12ab12ab12ab12ab12ab12',
    );
  });
});
