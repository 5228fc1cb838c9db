import { describe, expect, it } from 'vitest';
import { countSegments } from '../../workflows/lib/segments.js';
import * as texts from '../../workflows/mentorship-match/texts.js';

/** Every mentorship text, at its longest, and its budget in segments (GSM-7, never UCS-2). */
const cases: Array<[string, string, number]> = [
  ['offer', texts.offerText(72), 1],
  ['offer reminder', texts.offerReminderText(24 * 3_600_000), 1],
  ['hint', texts.OFFER_HINT_TEXT, 1],
  ['closed', texts.OFFER_CLOSED_TEXT, 1],
  ['declined ack', texts.DECLINED_ACK_TEXT, 1],
  ['mentor full', texts.MENTOR_FULL_TEXT, 1],
  ['matched (mentor)', texts.matchedMentorText(24), 1],
  ['matched (mentee)', texts.matchedMenteeText(24), 1],
  ['unmatched', texts.UNMATCHED_MENTEE_TEXT, 1],
  ['risk alert', texts.RISK_ALERT_TEXT, 1],
  ['risk ack', texts.RISK_ACK_TEXT, 1],
  ['risk hint', texts.RISK_HINT_TEXT, 1],
  ['completed', texts.completedText(24), 1],
  ['ended early', texts.ENDED_EARLY_TEXT, 1],
];

describe('mentorship texts', () => {
  it.each(cases)('%s fits its segment budget in GSM-7', (_name, body, budget) => {
    const c = countSegments(body);
    expect(c.encoding).toBe('GSM-7');
    expect(c.segments).toBeLessThanOrEqual(budget);
  });

  it("name no person and carry no number (they go to phones other than the subject's)", () => {
    for (const [, body] of cases) expect(body).not.toMatch(/\+?\d{7,}/);
  });

  it('say how long is left in whole hours', () => {
    expect(texts.offerReminderText(4 * 3_600_000 - 30_000)).toContain('4 h left');
  });
});
