import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erasureEnds } from '../../workflows/mentorship-match/erasure.js';
import { MATCH_STATUSES } from '../../workflows/mentorship-match/values.js';

describe('a participant erased from a mentorship match', () => {
  it('ends an active or paused match that is not already ending', () => {
    expect(erasureEnds('active', null)).toBe(true);
    expect(erasureEnds('paused', null)).toBe(true);
  });

  it('never overrides an end already asked for, nor ends a match in any other status', () => {
    fc.assert(
      fc.property(fc.constantFrom(...MATCH_STATUSES), fc.option(fc.string()), (status, ending) => {
        const ends = erasureEnds(status, ending);
        expect(ends).toBe((status === 'active' || status === 'paused') && ending === null);
      }),
    );
  });
});
