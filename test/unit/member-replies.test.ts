/** What a member's text means (workflows/member/replies.ts) and what the validators refuse (changes.ts). */
import { describe, expect, it } from 'vitest';
import { fieldErrorsOf } from '../../workflows/lib/failures.js';
import { validateArchive, validateGoal, validatePreferences } from '../../workflows/member/changes.js';
import { newGoal } from '../../workflows/member/goals.js';
import { decideReply } from '../../workflows/member/replies.js';
import { initialState, type MemberState } from '../../workflows/member/state.js';

const NOW = Date.parse('2030-03-04T23:30:00Z'); // 18:30 EST, Monday 4 March
const ctx = { nowMs: NOW, maxActiveGoals: 3 };

function member(over: Partial<MemberState> = {}): MemberState {
  const s = initialState({ memberId: 'm', timezone: 'America/New_York', checkInTime: '19:00' }, NOW);
  s.goals = [
    newGoal(1, { title: 'run', cadence: { kind: 'daily' } }, '2030-03-01'),
    newGoal(2, { title: 'read', cadence: { kind: 'daily' } }, '2030-03-01'),
  ];
  return Object.assign(s, over);
}
const open = {
  localDate: '2030-03-04',
  deadlineMs: Date.parse('2030-03-05T05:00:00Z'),
  goalIds: [1, 2],
  pendingGoalIds: [1, 2],
  answers: {},
  nudgeAtMs: null,
};
const reply = (body: string, extra: { numMedia?: number } = {}) => ({
  inboundId: 1,
  body,
  receivedAtMs: NOW,
  ...extra,
});

describe('decideReply', () => {
  it('onboarding: YES (or Y, START) confirms, UNSTOP and anything else get the hint', () => {
    const s = member({ status: 'pending_confirmation' });
    for (const body of ['YES', 'y', 'Yes!', 'START'])
      expect(decideReply(s, reply(body), ctx).kind).toBe('confirm');
    for (const body of ['UNSTOP', 'what?', 'N', '1 Y'])
      expect(decideReply(s, reply(body), ctx).kind).toBe('confirm_hint');
  });

  it('onboarding with a confirm word of its own (Twilio manages YES): that word confirms, and YES still does', () => {
    const s = member({ status: 'pending_confirmation' });
    const join = { ...ctx, confirmWord: 'JOIN' };
    for (const body of ['JOIN', ' join! ', 'Join.', 'YES'])
      expect(decideReply(s, reply(body), join).kind, body).toBe('confirm');
    for (const body of ['joining', 'JOIN me'])
      expect(decideReply(s, reply(body), join).kind, body).toBe('confirm_hint');
  });

  it('GOAL: usage help, a rejection naming the field, or the goal', () => {
    const s = member();
    expect(decideReply(s, reply('GOAL something vague'), ctx)).toEqual({ kind: 'goal_help' });
    expect(decideReply(s, reply('GOAL re\u0007ad daily'), ctx)).toEqual({
      kind: 'goal_rejected',
      reason: 'title: must not contain control characters',
    });
    expect(decideReply(s, reply('goal stretch daily'), { ...ctx, maxActiveGoals: 2 })).toEqual({
      kind: 'goal_rejected',
      reason: 'goals: at most 2 active goals; archive one first',
    });
    expect(decideReply(s, reply('GOAL gym mon wed fri'), ctx)).toEqual({
      kind: 'add_goal',
      goal: { title: 'gym', cadence: { kind: 'weekdays', days: [1, 3, 5] } },
    });
  });

  it('a picture without words is not answered "I did not get that"', () => {
    expect(decideReply(member({ openPrompt: { ...open } }), reply('', { numMedia: 1 }), ctx)).toEqual({
      kind: 'media_only',
    });
    expect(decideReply(member({ openPrompt: { ...open } }), reply('hm'), ctx)).toEqual({ kind: 'clarify' });
  });

  it('answers map to the goals of the open prompt: numbers follow its list, a single answer covers the rest', () => {
    const s = member({ openPrompt: { ...open } });
    expect(decideReply(s, reply('1 Y 2 N too tired'), ctx)).toEqual({
      kind: 'answers',
      byGoal: [
        [1, true],
        [2, false],
      ],
      reflection: 'too tired',
    });
    expect(decideReply(s, reply('3 Y'), ctx)).toEqual({ kind: 'unknown_goal', number: 3, listed: 2 });
    s.openPrompt = { ...open, pendingGoalIds: [2], answers: { 1: true } };
    expect(decideReply(s, reply('Y mood 4'), ctx)).toEqual({ kind: 'answers', byGoal: [[2, true]], mood: 4 });
    expect(decideReply(s, reply('1 N'), ctx)).toEqual({ kind: 'not_counted', why: 'already_answered' });
    expect(decideReply(member(), reply('Y'), ctx)).toEqual({ kind: 'not_counted', why: 'no_open_prompt' });
  });

  it('"yesterday Y" counts only for yesterday\'s miss', () => {
    const missed = { localDate: '2030-03-03', streakBefore: 2, goals: [{ id: 1, streakBefore: 2 }] };
    expect(decideReply(member({ lastMissed: missed }), reply('yesterday Y ran'), ctx)).toEqual({
      kind: 'late',
      done: true,
      reflection: 'ran',
    });
    expect(
      decideReply(member({ lastMissed: { ...missed, localDate: '2030-03-02' } }), reply('yesterday Y'), ctx),
    ).toEqual({ kind: 'not_counted', why: 'outside_grace_window' });
  });

  it('REST is a rest day', () => {
    expect(decideReply(member(), reply('rest day'), ctx)).toEqual({ kind: 'rest' });
  });
});

/** The field and message a validator refused with (typed failure details, not a parsed string). */
function refusal(fn: () => void) {
  try {
    fn();
  } catch (err) {
    return fieldErrorsOf(err);
  }
  return null;
}

describe('validators throw InvalidInput naming the field', () => {
  it('goals', () => {
    const s = member();
    expect(refusal(() => validateGoal(s, { title: 'swim', cadence: { kind: 'daily' } }, 3))).toBeNull();
    expect(refusal(() => validateGoal(s, { title: ' ', cadence: { kind: 'daily' } }, 3))).toEqual([
      { field: 'title', message: 'is required' },
    ]);
    expect(refusal(() => validateGoal(s, { title: 'a\u0000b', cadence: { kind: 'daily' } }, 3))).toEqual([
      { field: 'title', message: 'must not contain control characters' },
    ]);
    expect(
      refusal(() => validateGoal(s, { title: 'swim', cadence: { kind: 'times_per_week', times: 7 } }, 3)),
    ).toMatchObject([{ field: 'cadence' }]);
    expect(refusal(() => validateGoal(s, { title: 'swim', cadence: { kind: 'daily' } }, 2))).toMatchObject([
      { field: 'goals' },
    ]);
    expect(refusal(() => validateArchive(s, 9))).toEqual([{ field: 'goalId', message: 'no goal 9' }]);
  });

  it('preferences: tone, time zone, HH:MM, whole minutes, a real date not in the past', () => {
    const s = member();
    const prefs = (p: object) => refusal(() => validatePreferences(s, p, NOW));
    expect(
      prefs({ tone: 'calm', timezone: 'Europe/Berlin', checkInTime: '07:30', nudgeAfterMinutes: 0 }),
    ).toBeNull();
    expect(prefs({ tone: 'grumpy' })).toMatchObject([{ field: 'tone' }]);
    expect(prefs({ timezone: 'Mars/Olympus' })).toMatchObject([{ field: 'timezone' }]);
    expect(prefs({ checkInTime: '25:00' })).toMatchObject([{ field: 'checkInTime' }]);
    expect(prefs({ nudgeAfterMinutes: 1.5 })).toMatchObject([{ field: 'nudgeAfterMinutes' }]);
    expect(prefs({ pausedUntil: '2030-02-30' })).toMatchObject([{ field: 'pausedUntil' }]);
    expect(prefs({ pausedUntil: '2030-03-03' })).toEqual([
      { field: 'pausedUntil', message: 'must not be in the past' },
    ]);
    expect(prefs({ pausedUntil: '2030-03-04' })).toBeNull();
    expect(refusal(() => validatePreferences(member({ status: 'erased' }), {}, NOW))).toMatchObject([
      { field: 'member' },
    ]);
  });
});
