/** The member's day rules (workflows/member/days.ts): THE streak rule, day outcomes, closing and answering days. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../workflows/lib/time.js';
import {
  answerDay,
  answerLate,
  closeDay,
  DAYS_KEPT,
  dayStatus,
  streakAfter,
  weekTotals,
  withOutcome,
} from '../../workflows/member/days.js';
import { newGoal } from '../../workflows/member/goals.js';
import { initialState, type MemberState, type OpenPrompt } from '../../workflows/member/state.js';
import { CHECK_IN_STATUSES, type CheckInStatus } from '../../workflows/member/values.js';

const status = fc.constantFrom(...CHECK_IN_STATUSES);

describe('streakAfter: the one streak rule', () => {
  it('done extends, rest keeps, a no or a miss breaks', () => {
    const s = { currentStreak: 4, longestStreak: 6 };
    expect(streakAfter(s, 'done')).toEqual({ currentStreak: 5, longestStreak: 6 });
    expect(streakAfter(s, 'rest')).toEqual(s);
    expect(streakAfter(s, 'not_done')).toEqual({ currentStreak: 0, longestStreak: 6 });
    expect(streakAfter(s, 'missed')).toEqual({ currentStreak: 0, longestStreak: 6 });
    expect(streakAfter({ currentStreak: 6, longestStreak: 6 }, 'done')).toEqual({
      currentStreak: 7,
      longestStreak: 7,
    });
  });

  it('over any sequence of days: the streak is the run of done days since the last no/miss (rests skipped), and the longest is the best such run', () => {
    fc.assert(
      fc.property(fc.array(status, { maxLength: 60 }), (days) => {
        let s = { currentStreak: 0, longestStreak: 0 };
        let run = 0;
        let best = 0;
        for (const d of days) {
          s = streakAfter(s, d);
          if (d === 'done') run++;
          else if (d !== 'rest') run = 0;
          best = Math.max(best, run);
          expect(s.longestStreak).toBeGreaterThanOrEqual(s.currentStreak);
        }
        expect(s).toEqual({ currentStreak: run, longestStreak: best });
      }),
    );
  });
});

describe('withOutcome', () => {
  it('keeps one outcome per day, sorted, and only the last DAYS_KEPT days', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), status), { maxLength: 80 }), (ops) => {
        let days: ReturnType<typeof withOutcome> = [];
        for (const [n, st] of ops) {
          const day = addDays('2030-01-01', n);
          days = withOutcome(days, day, st);
          expect(days.find((d) => d.localDate === day)?.status).toBe(st);
          const dates = days.map((d) => d.localDate);
          expect(new Set(dates).size).toBe(dates.length);
          expect([...dates].sort()).toEqual(dates);
          expect(dates[0]! >= addDays(day, -(DAYS_KEPT - 1))).toBe(true);
        }
      }),
    );
  });
});

const prompt = (over: Partial<OpenPrompt> = {}): OpenPrompt => ({
  localDate: '2030-03-04',
  deadlineMs: Date.parse('2030-03-05T05:00:00Z'),
  goalIds: [1, 2],
  pendingGoalIds: [1, 2],
  answers: {},
  nudgeAtMs: null,
  ...over,
});

describe('dayStatus', () => {
  it.each<[string, Partial<OpenPrompt>, 'missed' | 'rest' | 'answered', CheckInStatus]>([
    ['nothing answered at midnight', {}, 'missed', 'missed'],
    ['nothing answered, REST', {}, 'rest', 'rest'],
    ['all yes', { pendingGoalIds: [], answers: { 1: true, 2: true } }, 'answered', 'done'],
    ['one no', { pendingGoalIds: [], answers: { 1: true, 2: false } }, 'answered', 'not_done'],
    [
      'one yes, one left open at midnight',
      { pendingGoalIds: [2], answers: { 1: true } },
      'missed',
      'not_done',
    ],
    ['one yes, the rest excused by REST', { pendingGoalIds: [2], answers: { 1: true } }, 'rest', 'done'],
  ])('%s', (_name, over, closing, expected) => {
    expect(dayStatus(prompt(over), closing)).toBe(expected);
  });
});

function member(): MemberState {
  const s = initialState(
    { memberId: 'm', timezone: 'America/New_York', checkInTime: '19:00' },
    Date.parse('2030-03-04T12:00:00Z'),
  );
  s.goals = [newGoal(1, { title: 'run', cadence: { kind: 'daily' } }, '2030-03-01')];
  s.goals.push(newGoal(2, { title: 'read', cadence: { kind: 'daily' } }, '2030-03-01'));
  s.currentStreak = 3;
  s.longestStreak = 3;
  s.goals[0]!.currentStreak = 3;
  s.goals[1]!.currentStreak = 2;
  return s;
}

describe('closing and answering a day', () => {
  it('a silent day: every open goal missed, the streaks break, the miss is remembered for a late answer', () => {
    const s = member();
    s.openPrompt = prompt();
    const entries = closeDay(s, 'missed', null);
    expect(entries.map((e) => [e.goalId, e.status])).toEqual([
      [1, 'missed'],
      [2, 'missed'],
    ]);
    expect(s).toMatchObject({ openPrompt: null, currentStreak: 0, longestStreak: 3 });
    expect(s.lastCheckIn).toEqual({ localDate: '2030-03-04', status: 'missed' });
    expect(s.lastMissed).toEqual({
      localDate: '2030-03-04',
      streakBefore: 3,
      goals: [
        { id: 1, streakBefore: 3 },
        { id: 2, streakBefore: 2 },
      ],
    });
    expect(s.days.at(-1)).toEqual({ localDate: '2030-03-04', status: 'missed' });

    // "yesterday Y" rejoins the broken streaks (and the days since: none here).
    const late = answerLate(s, true, 42, { reflection: 'ran late' });
    expect(late.map((e) => [e.goalId, e.status, e.reflection, e.inboundMessageId])).toEqual([
      [1, 'done', 'ran late', 42],
      [2, 'done', 'ran late', 42],
    ]);
    expect(s.currentStreak).toBe(4);
    expect(s.goals.map((g) => g.currentStreak)).toEqual([4, 3]);
    expect(s.lastMissed).toBeNull();
    expect(s.days.at(-1)).toEqual({ localDate: '2030-03-04', status: 'done' });
  });

  it('a partial answer leaves the rest open; the last answer settles the day', () => {
    const s = member();
    s.openPrompt = prompt();
    const first = answerDay(s, [[1, true]], 7, { shareable: null });
    expect(first.complete).toBe(false);
    expect(s.openPrompt.pendingGoalIds).toEqual([2]);
    expect(s.currentStreak).toBe(3);
    const second = answerDay(s, [[2, false]], 8, { reflection: 'tired', mood: 2, shareable: true });
    expect(second).toMatchObject({ complete: true, dayStatus: 'not_done' });
    expect(second.entries).toEqual([
      { goalId: 2, status: 'not_done', reflection: 'tired', mood: 2, shareable: true, inboundMessageId: 8 },
    ]);
    expect(s).toMatchObject({ openPrompt: null, currentStreak: 0, longestStreak: 3 });
    expect(s.goals.map((g) => g.currentStreak)).toEqual([4, 0]);
  });
});

describe('weekTotals', () => {
  it('counts the 7 days ending today: due (not rest) and done', () => {
    const days = [
      { localDate: '2030-03-01', status: 'done' as const }, // 8 days before: outside
      { localDate: '2030-03-03', status: 'done' as const },
      { localDate: '2030-03-04', status: 'rest' as const },
      { localDate: '2030-03-05', status: 'missed' as const },
      { localDate: '2030-03-09', status: 'done' as const },
    ];
    expect(weekTotals(days, '2030-03-09')).toEqual({ weekStart: '2030-03-03', due: 3, done: 2 });
  });
});
