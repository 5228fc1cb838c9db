/**
 * The challenge's side of the question riding on the member's own texts (workflows/crew-challenge/sms.ts): which
 * member workflows it tells (enrol / end), the answers they send back counted once per key and member, and the
 * members it still asks itself.
 */
import { describe, expect, it } from 'vitest';
import type { CrewChallengeInput } from '../../workflows/crew-challenge/definitions.js';
import {
  asksItself,
  enrolmentChanges,
  nextAsks,
  queueRiddenAnswer,
  riddenState,
  takeRiddenAnswer,
} from '../../workflows/crew-challenge/sms.js';
import { initialState } from '../../workflows/crew-challenge/state.js';

const input: CrewChallengeInput = {
  challengeId: 'c',
  crewId: 'k',
  title: 'Walk',
  days: 30,
  startDate: '2027-03-01',
  timezone: 'Europe/Berlin',
  minSize: 3,
  k: 5,
  members: ['a', 'b', 'c'].map((memberId) => ({ memberId, timezone: 'Europe/Berlin' })),
};

describe('telling member workflows', () => {
  it('nobody while gathering; every current member once active; a leaver and, at the end, everyone told', () => {
    const s = initialState(input, 0);
    expect(enrolmentChanges(s, false)).toEqual([]);
    s.status = 'active';
    expect(enrolmentChanges(s, false)).toEqual(
      ['a', 'b', 'c'].map((memberId) => ({ memberId, enrol: true })),
    );
    for (const m of ['a', 'b', 'c']) riddenState(s).enrolled[m] = true;
    expect(enrolmentChanges(s, false)).toEqual([]);
    s.members.b!.leftAtMs = 5;
    expect(enrolmentChanges(s, false)).toEqual([{ memberId: 'b', enrol: false }]);
    riddenState(s).enrolled.b = false;
    s.members.b!.leftAtMs = null; // joined again
    expect(enrolmentChanges(s, false)).toEqual([{ memberId: 'b', enrol: true }]);
    riddenState(s).enrolled.b = true;
    expect(enrolmentChanges(s, true)).toEqual(
      ['a', 'b', 'c'].map((memberId) => ({ memberId, enrol: false })),
    );
  });

  it('asks itself only the members whose workflow could not be reached (all of them in runs from before)', () => {
    const s = initialState(input, 0);
    s.status = 'active';
    const now = Date.parse('2027-03-01T10:00:00Z');
    const askedOf = (rides: boolean) =>
      nextAsks(s, input, now, (id) => asksItself(s, id, rides)).map((a) => a.memberId);
    expect(askedOf(false)).toEqual(['a', 'b', 'c']);
    expect(askedOf(true)).toEqual([]);
    riddenState(s).selfAsked.b = true;
    expect(askedOf(true)).toEqual(['b']);
  });
});

describe('answers from member workflows', () => {
  it('count once per key and member, queued or already handled', () => {
    const s = initialState(input, 0);
    const a = { memberId: 'a', localDate: '2027-03-01', done: true, key: 'sms:7' };
    expect(queueRiddenAnswer(s, a)).toBe(true);
    expect(queueRiddenAnswer(s, { ...a })).toBe(false);
    expect(queueRiddenAnswer(s, { ...a, memberId: 'b' })).toBe(true);
    expect(takeRiddenAnswer(s)).toEqual(a);
    expect(queueRiddenAnswer(s, { ...a, done: false })).toBe(false); // handled already
    expect(takeRiddenAnswer(s)?.memberId).toBe('b');
    expect(takeRiddenAnswer(s)).toBeUndefined();
  });
});
