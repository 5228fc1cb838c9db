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
export const RISK_ACK_TEXT = 'Crewline: thanks for checking in on your mentee.';
export const RISK_HINT_TEXT = 'Crewline: reply OK to let us know you saw the alert about your mentee.';

export const completedText = (weeks: number): string =>
  `Crewline: your ${weeks}-week mentorship is complete. Thank you for showing up!`;
export const ENDED_EARLY_TEXT = 'Crewline: your mentorship has ended. Thank you for the time you gave it.';
