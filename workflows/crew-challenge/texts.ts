/** Every text the crew challenge sends. Each fits its segment budget (checked in test/unit/crew-challenge.test.ts). */
import type { MilestoneId } from './milestones.js';
import type { PulseFigures } from './pulse.js';

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
