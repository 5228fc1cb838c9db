/**
 * Deterministic, tone-specific texts used whenever OpenAI is not (no key, error, timeout, invalid output,
 * daily budget reached). Same input → same text. The only personal data they may contain is the member's
 * first name (and, in a plan, the goal title with contact details and the name redacted). Every text is fitted
 * to its SMS budget.
 */
import { fitToSegments } from '../../workflows/lib/segments.js';
import { redact } from './redact.js';
import { clip, describeCadence, firstName, SEGMENT_BUDGET, sessionsPerWeek } from './text.js';
import type { Plan, RecentCheckIn, Tone, WeeklySummaryInput } from './types.js';

export const TEMPLATE_REFS = {
  plan: 'plan.template@1',
  motivation: 'motivation.template@1',
  weeklySummary: 'weekly_summary.template@1',
} as const;

const days = (n: number) => `${n} day${n === 1 ? '' : 's'}`;
const nonNegInt = (n: number) => (Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0);

/** "Ana, " / "" — the friendly/calm address. */
const comma = (name: string) => (name ? `${name}, ` : '');
/** "Ana: " / "" — the tough-love address. */
const colon = (name: string) => (name ? `${name}: ` : '');
const cap = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

export function planTemplate(input: {
  memberName: string;
  goal: { title: string; cadence: Parameters<typeof describeCadence>[0] };
  tone: Tone;
}): Plan {
  const goal = clip(redact(input.goal.title, { names: [input.memberName] }), 40) || 'your habit';
  const cadence = describeCadence(input.goal.cadence);
  const n = sessionsPerWeek(input.goal.cadence);
  const sessions = `${n} session${n === 1 ? '' : 's'}`;
  switch (input.tone) {
    case 'friendly':
      return {
        milestones: [
          `Week 1: ${goal} ${cadence} - small steps count!`,
          `Week 2: check in every time and enjoy the streak growing`,
          `Week 3: all ${sessions} done, even on a busy day`,
          `Week 4: celebrate a full month of ${goal}!`,
        ],
        dailyHabits: [
          `Pick a set time for ${goal} and stick to it`,
          `Get everything ready the night before`,
          `Reply Y as soon as you're done and enjoy it`,
        ],
        weeklyTarget: `Aim for ${sessions} of ${goal} this week (${cadence}).`,
      };
    case 'tough_love':
      return {
        milestones: [
          `Week 1: ${goal} ${cadence}. No skipped sessions.`,
          `Week 2: same schedule, zero excuses`,
          `Week 3: all ${sessions} done before the day gets away from you`,
          `Week 4: a full month without a miss. Prove it.`,
        ],
        dailyHabits: [
          `Do ${goal} first, before anything optional`,
          `Remove one excuse the night before`,
          `Reply Y the moment it's done. No Y, no credit.`,
        ],
        weeklyTarget: `${cap(sessions)} of ${goal} this week, ${cadence}. Non-negotiable.`,
      };
    case 'calm':
      return {
        milestones: [
          `Week 1: ease into ${goal}, ${cadence}`,
          `Week 2: let the routine settle into a steady rhythm`,
          `Week 3: ${sessions} a week, at a pace that feels sustainable`,
          `Week 4: notice how a month of ${goal} has changed your days`,
        ],
        dailyHabits: [
          `Choose a quiet moment for ${goal}`,
          `Begin with one slow breath and a small step`,
          `Reply Y when you're done and pause to notice it`,
        ],
        weeklyTarget: `${cap(sessions)} of ${goal} this week, ${cadence}, at your own pace.`,
      };
  }
}

type Situation = 'streak' | 'setback' | 'start';

function situation(streak: number, recent: RecentCheckIn[]): Situation {
  const last = [...recent].sort((a, b) => (a.localDate < b.localDate ? 1 : -1))[0];
  if (last && (last.status === 'missed' || last.status === 'not_done')) return 'setback';
  return streak > 0 ? 'streak' : 'start';
}

export function motivationTemplate(input: {
  memberName: string;
  tone: Tone;
  streak: number;
  recent: RecentCheckIn[];
}): string {
  const name = firstName(input.memberName);
  const streak = nonNegInt(input.streak);
  const s = situation(streak, input.recent);
  const texts: Record<Tone, Record<Situation, string>> = {
    friendly: {
      streak: `${comma(name)}${days(streak)} in a row! You're building something real. Keep it going today!`,
      setback: `${comma(name)}one off day doesn't undo your progress. Today is a fresh start - you've got this!`,
      start: `${comma(name)}every streak starts with day one. Make today that day - you've got this!`,
    },
    tough_love: {
      streak: `${colon(name)}${days(streak)} straight. Don't get comfortable. Show up today and make it ${streak + 1}.`,
      setback: `${colon(name)}you slipped. No excuses today. Get it done and start the streak again.`,
      start: `${colon(name)}nobody else will do this for you. Start today. No excuses.`,
    },
    calm: {
      streak: `${comma(name)}${days(streak)} in a row. Notice how far steady steps have carried you. One more today, gently.`,
      setback: `${comma(name)}a missed day is just a day. Breathe, begin again, and take one small step today.`,
      start: `${comma(name)}begin where you are. One small, steady step today is enough.`,
    },
  };
  return fitToSegments(cap(texts[input.tone][s]), SEGMENT_BUDGET.motivation);
}

type Band = 'high' | 'mid' | 'low' | 'none';

const SUGGESTIONS: Record<Tone, Record<Band, string>> = {
  friendly: {
    high: 'Amazing week! Suggestion: add one tiny stretch goal next week to keep it fun.',
    mid: 'Nice effort! Suggestion: pick a fixed time of day so the habit happens on autopilot.',
    low: 'Every week is a new chance. Suggestion: shrink the habit to 2 minutes so it is easy to start.',
    none: 'Suggestion: pick the days that suit you best next week and we will cheer you on.',
  },
  tough_love: {
    high: 'Strong week. Suggestion: raise the bar a notch next week - comfort kills progress.',
    mid: 'Not bad. Not good enough. Suggestion: put it in your calendar like a meeting and keep it.',
    low: "That's not a habit yet. Suggestion: make it so small you have no excuse, and do it first thing.",
    none: 'Suggestion: commit to your days for next week now, and then show up.',
  },
  calm: {
    high: 'A steady, settled week. Suggestion: keep the same rhythm; consistency matters more than more.',
    mid: 'A balanced week with room to grow. Suggestion: tie the habit to something you already do each day.',
    low: 'This week asked a lot of you. Suggestion: choose one easy moment each day and let the habit rest there.',
    none: 'Suggestion: take a quiet moment to choose the days that feel right for next week.',
  },
};

export function adherencePercent(adherence7: number): number {
  if (!Number.isFinite(adherence7)) return 0;
  return Math.round(Math.min(1, Math.max(0, adherence7)) * 100);
}

export function weeklySummaryTemplate(
  input: Omit<WeeklySummaryInput, 'memberId' | 'weekStart' | 'memberName'> & { memberName: string },
): string {
  const name = firstName(input.memberName);
  const pct = adherencePercent(input.adherence7);
  const done = nonNegInt(input.done);
  const due = nonNegInt(input.due);
  const current = nonNegInt(input.currentStreak);
  const longest = Math.max(current, nonNegInt(input.longestStreak));
  const band: Band = due === 0 ? 'none' : pct >= 85 ? 'high' : pct >= 50 ? 'mid' : 'low';
  const streaks = `Streak: ${days(current)}, best: ${days(longest)}.`;
  const numbers =
    due === 0
      ? `No check-ins were due this week. ${streaks}`
      : `${done}/${due} check-ins done (${pct}%). ${streaks}`;
  const opener: Record<Tone, string> = {
    friendly: `${comma(name)}here's your week:`,
    tough_love: `${colon(name)}your weekly numbers.`,
    calm: `${comma(name)}a look back at your week:`,
  };
  const text = `${cap(opener[input.tone])} ${numbers} ${SUGGESTIONS[input.tone][band]}`;
  return fitToSegments(text, SEGMENT_BUDGET.weeklySummary);
}
