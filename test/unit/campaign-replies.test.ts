/** RSVP classification of guests' replies (workflows/guest-campaign/replies.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  campaignOfAccepts,
  campaignReplyAccepts,
  classifyRsvp,
} from '../../workflows/guest-campaign/replies.js';

describe('classifyRsvp', () => {
  it('reads one-word yes/no answers in any case, with punctuation, whitespace, accents or an emoji', () => {
    for (const y of [
      'YES',
      'yes',
      ' Yes! ',
      'y',
      'Yep.',
      'yeah',
      'sure',
      'OK',
      'Sí',
      'oui',
      '👍',
      '✅',
      'ＹＥＳ',
    ])
      expect(classifyRsvp(y), y).toBe('yes');
    for (const n of ['NO', 'no', 'No.', 'n', 'nope', 'nah!', 'non', 'nein', '👎', '❌'])
      expect(classifyRsvp(n), n).toBe('no');
  });

  it('anything longer is free text, even when it starts with yes or no', () => {
    for (const o of ['yes please, 2 of us', 'no idea', 'Maybe', 'Can I bring a friend?', '', '👍👍', 'y n'])
      expect(classifyRsvp(o), o).toBe('other');
  });

  it('property: wrapping an answer in whitespace and punctuation never changes it', () => {
    const edge = fc.stringMatching(/^[\s.!?,;:()"'-]{0,4}$/);
    const word = fc.constantFrom('yes', 'Y', 'No', 'n', 'nope', 'Yeah', 'maybe', 'see you there');
    fc.assert(
      fc.property(edge, word, edge, (a, w, b) => {
        expect(classifyRsvp(`${a}${w}${b}`)).toBe(classifyRsvp(w));
      }),
      { numRuns: 300 },
    );
  });

  it('property: a text with two or more words of letters is never a yes or no', () => {
    const w = fc.stringMatching(/^[A-Za-z]{1,8}$/);
    fc.assert(
      fc.property(w, w, (a, b) => {
        expect(classifyRsvp(`${a} ${b}`)).toBe('other');
      }),
      { numRuns: 300 },
    );
  });

  it('expectations name their campaign, and only theirs', () => {
    const id = '3f1c2a4e-0000-4000-8000-000000000000';
    expect(campaignOfAccepts(campaignReplyAccepts(id))).toBe(id);
    expect(campaignOfAccepts('checkin_reply')).toBeNull();
    expect(campaignOfAccepts(`mentorship_offer:${id}`)).toBeNull();
  });
});
