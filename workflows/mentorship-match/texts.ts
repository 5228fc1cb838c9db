/** Every SMS text of a mentorship match, each within its segment budget (test/unit/mentorship-texts.test.ts). */

const hours = (ms: number) => Math.max(1, Math.round(ms / 3_600_000));

export const offerText = (acceptHours: number): string =>
  `Crewline: a member is looking for a mentor and you are a great fit. Reply YES to take them on or NO to pass. The offer is open for ${acceptHours} h.`;

export const offerReminderText = (leftMs: number): string =>
  `Crewline: a mentee is still waiting for your answer. Reply YES to take them on or NO to pass (${hours(leftMs)} h left).`;

export const OFFER_HINT_TEXT = 'Crewline: reply YES to take on the mentee or NO to pass.';
export const OFFER_CLOSED_TEXT = 'Crewline: that mentorship offer has closed. Thank you!';
export const DECLINED_ACK_TEXT = 'Crewline: no problem, we will find the mentee another mentor. Thank you!';
export const MENTOR_FULL_TEXT =
  'Crewline: you are already mentoring as many members as you chose, so this offer was passed on. Thank you!';

export const matchedMentorText = (weeks: number): string =>
  `Crewline: you are matched with your new mentee for ${weeks} weeks. We will text you before each session.`;
export const matchedMenteeText = (weeks: number): string =>
  `Crewline: good news, a mentor accepted you! Your mentorship runs for ${weeks} weeks.`;
export const UNMATCHED_MENTEE_TEXT =
  'Crewline: no mentor is free right now. Our team has your request and will get back to you.';

export const RISK_ALERT_TEXT =
  'Crewline: your mentee has missed several check-ins and may be struggling. A short message could help. Reply OK when seen.';
export const RISK_ESCALATED_TEXT =
  'Crewline: urgent, your mentee is still at high risk and we have not heard back. Please reach out today. Reply OK.';
export const RISK_ACK_TEXT = 'Crewline: thanks for checking in on your mentee.';
export const RISK_HINT_TEXT = 'Crewline: reply OK to let us know you saw the alert about your mentee.';

export const completedText = (weeks: number): string =>
  `Crewline: your ${weeks}-week mentorship is complete. Thank you for showing up!`;
export const ENDED_EARLY_TEXT = 'Crewline: your mentorship has ended. Thank you for the time you gave it.';

// ---- sessions (the recipient's own local time is in `when`, e.g. "Tue 18:00")

export const sessionBookedText = (when: string): string =>
  `Crewline: your mentorship session is booked for ${when} (your time). We will remind you before it starts.`;
export const sessionMovedText = (when: string): string =>
  `Crewline: your mentorship session has moved to ${when} (your time).`;
export const sessionReminderText = (when: string, hoursBefore: number): string =>
  hoursBefore >= 24
    ? `Crewline: reminder, your mentorship session is tomorrow at ${when} (your time).`
    : `Crewline: your mentorship session starts in 1 hour, at ${when} (your time).`;
export const SESSION_CHECK_TEXT =
  'Crewline: how was your mentorship session? Reply 1 (not useful) to 4 (great), or 0 if it did not happen.';
export const SESSION_THANKS_TEXT = 'Crewline: thanks for your rating!';
export const SESSION_NO_SHOW_TEXT = 'Crewline: sorry it did not happen. Book a new time when you can.';
export const SESSION_CHECK_HINT_TEXT =
  'Crewline: reply with a number: 1 (not useful) to 4 (great), or 0 if the session did not happen.';
export const FIT_QUESTION_TEXT =
  'Crewline: is your mentor a good fit for you? Reply YES, or NOT FIT and we will find you another mentor.';
export const FIT_THANKS_TEXT = 'Crewline: great, glad it is a good fit!';
export const FIT_HINT_TEXT =
  'Crewline: reply YES if your mentor is a good fit, or NOT FIT for another mentor.';
export const REMATCH_MENTEE_TEXT =
  'Crewline: thanks for telling us. We are looking for another mentor for you.';
export const REMATCH_MENTOR_TEXT =
  'Crewline: your mentee asked to try another mentor, so this mentorship has ended. Thank you for your time!';
export const NUDGE_TEXT =
  'Crewline: it has been 30 days since your last mentorship session. Time to book the next one?';
export const IDLE_WARNING_TEXT =
  'Crewline: no mentorship session for 83 days. Book one within 7 days or the mentorship will end.';
export const IDLE_ENDED_TEXT =
  'Crewline: your mentorship has ended after 90 days without a session. Thank you for the time you gave it.';
export const PAUSED_TEXT = 'Crewline: your mentorship is paused. Booked sessions are off until it resumes.';
export const RESUMED_TEXT = 'Crewline: your mentorship has resumed. Time to book your next session!';
export const BRIEFING_MORE_HINT = ' Reply MORE for more.';
