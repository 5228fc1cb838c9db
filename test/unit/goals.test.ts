import { describe, expect, it } from 'vitest';
import { countSegments } from '../../workflows/lib/segments.js';
import { weekStartOf } from '../../workflows/lib/time.js';
import {
  applyCheckIn,
  cadenceError,
  isDue,
  type GoalCadence,
  type GoalState,
} from '../../workflows/member/goals.js';
import {
  CLARIFY_TEXT,
  confirmedText,
  GOAL_HELP_TEXT,
  goalAddedText,
  nudgeText,
  PROMPT_TEXT,
  promptText,
  REST_TEXT,
  welcomeText,
  WELCOME_REMINDER_TEXT,
  welcomeReminderText,
  confirmHintText,
  partialAckText,
  lateAckText,
  unknownGoalText,
} from '../../workflows/member/texts.js';

const goal = (cadence: GoalCadence, over: Partial<GoalState> = {}): GoalState => ({
  id: 1,
  title: 'run',
  cadence,
  status: 'active',
  createdOn: '2027-03-01',
  currentStreak: 0,
  longestStreak: 0,
  plan: null,
  planSource: null,
  week: { start: '2027-03-01', done: 0 },
  ...over,
});

describe('cadences', () => {
  it('weeks start on Monday', () => {
    expect(weekStartOf('2027-03-07')).toBe('2027-03-01'); // Sunday
    expect(weekStartOf('2027-03-08')).toBe('2027-03-08'); // Monday
    expect(weekStartOf('2027-03-10')).toBe('2027-03-08');
  });

  it('daily is always due; weekdays only on those days; archived never', () => {
    expect(isDue(goal({ kind: 'daily' }), '2027-03-07')).toBe(true);
    const gym = goal({ kind: 'weekdays', days: [1, 3, 5] });
    expect(['2027-03-08', '2027-03-09', '2027-03-10', '2027-03-14'].map((d) => isDue(gym, d))).toEqual([
      true,
      false,
      true,
      false,
    ]);
    expect(isDue(goal({ kind: 'daily' }, { status: 'archived' }), '2027-03-08')).toBe(false);
  });

  it('k times a week is due until the week target is met, and again the next week', () => {
    const read = goal({ kind: 'times_per_week', times: 2 });
    applyCheckIn(read, '2027-03-08', true);
    expect(isDue(read, '2027-03-09')).toBe(true);
    applyCheckIn(read, '2027-03-09', true);
    expect(isDue(read, '2027-03-10')).toBe(false);
    expect(isDue(read, '2027-03-14')).toBe(false);
    expect(isDue(read, '2027-03-15')).toBe(true); // next Monday
  });

  it('rejects impossible cadences with a reason', () => {
    expect(cadenceError({ kind: 'times_per_week', times: 7 })).toMatch(/1 to 6/);
    expect(cadenceError({ kind: 'weekdays', days: [1, 1] })).toMatch(/distinct/);
    expect(cadenceError({ kind: 'weekdays', days: [] })).toMatch(/1 to 6/);
    expect(cadenceError({ kind: 'hourly' } as unknown as GoalCadence)).toMatch(/kind/);
    expect(cadenceError({ kind: 'weekdays', days: [0, 6] })).toBeNull();
  });
});

describe('streaks', () => {
  it('a "no" breaks a daily streak', () => {
    const g = goal({ kind: 'daily' });
    applyCheckIn(g, '2027-03-08', true);
    applyCheckIn(g, '2027-03-09', true);
    applyCheckIn(g, '2027-03-10', false);
    expect([g.currentStreak, g.longestStreak]).toEqual([0, 2]);
  });

  it('a k-times-a-week streak survives a "no" while the target is still reachable, not after', () => {
    const g = goal({ kind: 'times_per_week', times: 3 });
    applyCheckIn(g, '2027-03-08', true); // Mon: 1 of 3
    applyCheckIn(g, '2027-03-09', false); // Tue: 2 needed, 5 days left
    expect(g.currentStreak).toBe(1);
    applyCheckIn(g, '2027-03-12', false); // Fri: 2 needed, 2 days left — still reachable
    expect(g.currentStreak).toBe(1);
    applyCheckIn(g, '2027-03-13', false); // Sat: 2 needed, 1 day left — broken
    expect(g.currentStreak).toBe(0);
    expect(g.longestStreak).toBe(1);
  });
});

describe('texts', () => {
  it('numbers the goals of the day, and uses the plain prompt for the default habit', () => {
    expect(promptText([{ id: 0, title: '' }])).toBe(PROMPT_TEXT);
    expect(promptText([{ id: 3, title: 'stretch' }])).toContain('stretch today?');
    expect(
      promptText([
        { id: 1, title: 'run' },
        { id: 4, title: 'no sugar' },
      ]),
    ).toContain('1) run 2) no sugar');
  });

  it('every text is GSM-7 and fits two segments, even with long titles', () => {
    const long = 'x'.repeat(80);
    const texts = [
      PROMPT_TEXT,
      promptText([{ id: 1, title: long }]),
      promptText([1, 2, 3].map((id) => ({ id, title: long }))),
      nudgeText(1),
      nudgeText(3),
      welcomeText('19:00'),
      welcomeText('19:00', 'JOIN'),
      WELCOME_REMINDER_TEXT,
      welcomeReminderText('JOIN'),
      confirmHintText('JOIN'),
      partialAckText([2, 3]),
      lateAckText(true, 120),
      unknownGoalText(12, 3),
      confirmedText('07:30'),
      CLARIFY_TEXT,
      GOAL_HELP_TEXT,
      REST_TEXT,
      goalAddedText(
        goal(
          { kind: 'weekdays', days: [1, 3, 5] },
          {
            title: long,
            plan: { milestones: ['a'], dailyHabits: ['y'.repeat(100)], weeklyTarget: 'z' },
          },
        ),
      ),
    ];
    for (const t of texts) {
      const info = countSegments(t);
      expect(info.encoding, t).toBe('GSM-7');
      expect(info.segments, t).toBeLessThanOrEqual(2);
    }
  });
});
