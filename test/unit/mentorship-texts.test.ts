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
  ['risk escalated', texts.RISK_ESCALATED_TEXT, 1],
  ['session booked', texts.sessionBookedText('Wed 2028-12-27 23:59'), 1],
  ['session moved', texts.sessionMovedText('Wed 2028-12-27 23:59'), 1],
  ['reminder 24 h', texts.sessionReminderText('Wed 23:59', 24), 1],
  ['reminder 1 h', texts.sessionReminderText('Wed 23:59', 1), 1],
  ['session check', texts.SESSION_CHECK_TEXT, 1],
  ['session thanks', texts.SESSION_THANKS_TEXT, 1],
  ['no-show', texts.SESSION_NO_SHOW_TEXT, 1],
  ['check hint', texts.SESSION_CHECK_HINT_TEXT, 1],
  ['fit question', texts.FIT_QUESTION_TEXT, 1],
  ['fit thanks', texts.FIT_THANKS_TEXT, 1],
  ['fit hint', texts.FIT_HINT_TEXT, 1],
  ['re-match (mentee)', texts.REMATCH_MENTEE_TEXT, 1],
  ['re-match (mentor)', texts.REMATCH_MENTOR_TEXT, 1],
  ['nudge', texts.NUDGE_TEXT, 1],
  ['idle warning', texts.IDLE_WARNING_TEXT, 1],
  ['idle end', texts.IDLE_ENDED_TEXT, 1],
  ['paused', texts.PAUSED_TEXT, 1],
  ['resumed', texts.RESUMED_TEXT, 1],
  // The template briefing with the longest first name (20 characters) and the MORE hint.
  [
    'briefing (template)',
    'Crewline: session in 2 h. Abcdefghijklmnopqrst: 14/14 days done, streak 9999, risk medium.' +
      texts.BRIEFING_MORE_HINT,
    1,
  ],
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
