/** A member's own data in a crew challenge (their export): their answers, alias and contributions, nobody else's. */
import { describe, expect, it } from 'vitest';
import { initialState, memberData, withExtensions } from '../../workflows/crew-challenge/state.js';
import type { CrewChallengeInput } from '../../workflows/crew-challenge/definitions.js';

const input: CrewChallengeInput = {
  challengeId: 'c1',
  crewId: 'k1',
  title: '30 days of walks',
  days: 30,
  startDate: '2026-03-01',
  timezone: 'UTC',
  minSize: 3,
  k: 5,
  members: [
    { memberId: 'ana', timezone: 'UTC' },
    { memberId: 'bo', timezone: 'UTC' },
  ],
};

describe('memberData', () => {
  it("holds one member's answers by day, alias and contributions, and none of another's", () => {
    const s = withExtensions(input, initialState(input, Date.UTC(2026, 1, 28)));
    s.answers['ana|0'] = { done: true, energy: 4 };
    s.answers['ana|2'] = { done: false, energy: null };
    s.answers['bo|0'] = { done: false, energy: 1 };
    s.answers['anabel|1'] = { done: true, energy: 5 }; // a prefix of another id is not hers
    s.aliases['ana'] = 'Walker';
    s.totals['ana'] = { hundredths: 1250, count: 3 };
    s.members['ana']!.leftAtMs = Date.UTC(2026, 2, 10);

    expect(memberData(s, 'ana')).toEqual({
      memberId: 'ana',
      joinedAt: '2026-02-28T00:00:00.000Z',
      leftAt: '2026-03-10T00:00:00.000Z',
      answers: [
        { day: 1, done: true, energy: 4 },
        { day: 3, done: false, energy: null },
      ],
      leaderboardAlias: 'Walker',
      contributions: { total: 12.5, count: 3 },
    });
    expect(memberData(s, 'bo')).toMatchObject({
      answers: [{ day: 1, done: false, energy: 1 }],
      leaderboardAlias: null,
      contributions: null,
    });
    expect(memberData(s, 'stranger')).toBeNull();
  });
});
