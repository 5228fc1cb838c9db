import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erasedParty } from '../../workflows/mentorship-match/erasure.js';

describe('which side of a pairing an erased member is', () => {
  it('the mentee, the given mentor, or neither', () => {
    expect(erasedParty('a', 'a', 'b')).toBe('mentee');
    expect(erasedParty('b', 'a', 'b')).toBe('mentor');
    expect(erasedParty('c', 'a', 'b')).toBeNull();
    // No mentor yet (a request, or after "not a fit"): only the mentee's erasure concerns it.
    expect(erasedParty('b', 'a', null)).toBeNull();
  });

  it('is never a side for a member who is neither (a mentor who only once had an offer)', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.option(fc.uuid()), (erased, mentee, mentor) => {
        const party = erasedParty(erased, mentee, mentor);
        if (erased === mentee) expect(party).toBe('mentee');
        else if (erased === mentor) expect(party).toBe('mentor');
        else expect(party).toBeNull();
      }),
    );
  });
});
