/** Every text the crew challenge sends. Each fits its segment budget (checked in test/unit/crew-challenge.test.ts). */
import type { MilestoneId } from './milestones.js';
import type { PulseFigures } from './pulse.js';
import { countSegments, fitToSegments } from '../lib/segments.js';

export const TEXT_BUDGET_SEGMENTS = 2;

export function extendedText(title: string, joined: number, minSize: number, startDate: string): string {
  return `Crew challenge "${title}": ${joined} of the ${minSize} needed have joined, so the start moves to ${startDate}. Invite a friend!`;
}

export function cancelledText(title: string, why: string): string {
  return `Crew challenge "${title}" is cancelled: ${why}. Your own check-ins go on as usual.`;
}

export function pulseText(title: string, day: number, f: PulseFigures): string {
  const energy = f.energyCount > 0 ? ` Energy ${(f.energySum / f.energyCount).toFixed(1)}/5.` : '';
  return `Crew pulse, day ${day} of "${title}": ${f.done} of ${f.responded} who answered did it.${energy}`;
}

export function summaryText(
  title: string,
  days: number,
  t: { done: number; responded: number; atLeast: boolean; publishedDays: number },
): string {
  const total = `${t.atLeast ? 'at least ' : ''}${t.done} check-ins done`;
  return `"${title}" is over: ${days} days, ${total}, ${t.publishedDays} crew pulses shared. Thanks for keeping each other going!`;
}

/** The weekly challenge on the crew's Monday morning; `challenge` is the AI's (or the template's) body. */
export function weeklyText(title: string, week: number, weeks: number, challenge: string): string {
  return `Weekly challenge ${week} of ${weeks} for "${title}": ${challenge}`;
}

/** The end summary with its narrative may take one segment more than the other texts. */
export const SUMMARY_WITH_NARRATIVE_SEGMENTS = TEXT_BUDGET_SEGMENTS + 1;

/**
 * The end summary's figures followed by its narrative in the crew's tone; the figures alone when both would not
 * fit their budget (the figures are never cut).
 */
export function summaryWithNarrativeText(summary: string, narrative: string): string {
  const both = `${summary} ${narrative}`;
  return narrative && countSegments(both).segments <= SUMMARY_WITH_NARRATIVE_SEGMENTS ? both : summary;
}

/** The answer to a counted `ADD` text. */
export function addedText(amount: number, unit: string, total: number, target: number): string {
  return `Added ${amount} ${unit}. Crew total: ${total} of ${target} ${unit}.`;
}

/** One text per milestone (ids from milestones.ts); the goal's names its target. */
export function milestoneText(
  title: string,
  id: MilestoneId,
  goal: { target: number; unit: string } | null | undefined,
): string {
  if (id === 'goal')
    return `Goal reached! "${title}": together you hit ${goal?.target ?? ''} ${goal?.unit ?? ''}. Huge crew effort!`.replace(
      / {2,}/g,
      ' ',
    );
  const [kind, n] = id.split(':');
  return kind === 'checkins'
    ? `Milestone for "${title}": the crew has logged ${n} check-ins done. Keep it going!`
    : `Milestone for "${title}": ${n} days in a row with a crew pulse. What a streak!`;
}

// ---- the daily question by SMS and its answers (answers.ts reads the reply) ---------------------------------

/** The crew's daily question (at the crew's prompt time in the member's zone). */
export function askText(title: string, day: number, days: number): string {
  return `Crew "${title}", day ${day} of ${days}: did you do it today? Reply Y or N, energy 1-5 and a note if you like, e.g. "Y 4 felt good". Shared anonymously.`;
}

/** The answer was counted (the latest answer for a day counts). */
export function answerAckText(
  title: string,
  day: number,
  a: { done: boolean; energy: number | null },
): string {
  const energy = a.energy !== null ? `, energy ${a.energy}` : '';
  return `Got it: ${a.done ? 'done' : 'not done'}${energy} for day ${day} of "${title}". The crew pulse is shared once enough of you answer.`;
}

/** The reply could not be read (sent at most once per member per day). */
export function answerClarifyText(title: string): string {
  return `Sorry, I did not get that. For "${title}" reply Y or N, then energy 1-5 and a note if you like, e.g. "N 2 long day".`;
}

/** What a validator's message is about, when it starts with its verb ("is outside the challenge"). */
const REFUSAL_SUBJECTS: Record<string, string> = {
  localDate: 'that day',
  memberId: 'you',
  energy: 'the energy',
  reflection: 'the note',
};

/**
 * The answer was read but cannot count (the day is outside the challenge or its 24 h grace). `why` is the
 * validator's message for `field`; one that starts with its verb gets its subject, so the text reads as a sentence.
 */
export function answerRefusedText(title: string, why: string, field?: string): string {
  const subject = field === undefined ? undefined : REFUSAL_SUBJECTS[field];
  const reason = (subject && /^(is|has|must) /.test(why) ? `${subject} ${why}` : why)
    .replace(/^you is /, 'you are ')
    .replace('the member’s zone', 'your zone');
  return `That answer for "${title}" could not count: ${reason}.`;
}

// ---- a shared reflection carried by the day's crew pulse text (reflections-sms.ts) -----------------------------

/** What goes between the pulse and the reflection. */
export const REFLECTION_LEAD = 'Text REPORT if this note is not OK. A crewmate wrote:';
/** A reflection shortened below this many characters is not worth carrying (it stays readable in the API). */
const MIN_REFLECTION_CHARS = 12;

/**
 * The pulse text with one shared (redacted, moderated) reflection, anonymous, shortened to the segment budget;
 * null when the reflection cannot keep at least a few characters within it (e.g. an emoji makes it UCS-2).
 */
export function pulseWithReflectionText(pulse: string, reflection: string): string | null {
  const head = `${pulse} ${REFLECTION_LEAD} "`;
  const fitted = fitToSegments(`${head}${reflection.trim()}"`, TEXT_BUDGET_SEGMENTS);
  if (!fitted.startsWith(head) || Array.from(fitted.slice(head.length)).length < MIN_REFLECTION_CHARS)
    return null;
  return fitted;
}
