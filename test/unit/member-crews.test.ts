/**
 * The crews' daily questions in the member's own texts (workflows/member/crews.ts and the texts in texts.ts):
 * which crews are due, when a crew-only text goes (never on a day the check-in carries them, at most one a day),
 * how a reply is split back to each crew, and that every composed text fits its segment budget.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countSegments } from '../../workflows/lib/segments.js';
import {
  applyCrewQuestions,
  checkInStillComes,
  crewsDueOn,
  markCrewsAsked,
  nextCrewOnlyAsk,
  splitCrewReply,
} from '../../workflows/member/crews.js';
import { newGoal } from '../../workflows/member/goals.js';
import { initialState, type MemberState } from '../../workflows/member/state.js';
import {
  crewAckText,
  crewOnlyText,
  MEMBER_TEXT_SEGMENTS,
  promptText,
  promptWithCrewsText,
} from '../../workflows/member/texts.js';

const NY = 'America/New_York';
const NOW = Date.parse('2030-03-04T14:00:00Z'); // 09:00 EST, Monday 4 March

function member(over: Partial<MemberState> = {}): MemberState {
  const s = initialState({ memberId: 'm', timezone: NY, checkInTime: '20:00' }, NOW);
  return Object.assign(s, over);
}
const walk = {
  challengeId: 'c-walk',
  title: 'Walk 10 min',
  startDate: '2030-03-04',
  days: 3,
  promptTime: '19:00',
};
const read = {
  challengeId: 'c-read',
  title: 'Read 20 pages',
  startDate: '2030-03-05',
  days: 5,
  promptTime: '18:00',
};

describe('crews due and the crew-only text', () => {
  it('lists the crews whose days include the local date, in a stable order; a leave removes one', () => {
    const s = member();
    applyCrewQuestions(s, walk);
    applyCrewQuestions(s, read);
    expect(crewsDueOn(s, '2030-03-03')).toEqual([]);
    expect(crewsDueOn(s, '2030-03-04')).toEqual(['c-walk']);
    expect(crewsDueOn(s, '2030-03-05')).toEqual(['c-read', 'c-walk']);
    expect(crewsDueOn(s, '2030-03-07')).toEqual(['c-read']);
    expect(crewsDueOn(s, '2030-03-10')).toEqual([]);
    applyCrewQuestions(s, { ...walk, ended: true });
    expect(crewsDueOn(s, '2030-03-05')).toEqual(['c-read']);
  });

  it('sends no crew-only text while the check-in still comes that day (the crews ride on it)', () => {
    const s = member();
    applyCrewQuestions(s, walk);
    expect(checkInStillComes(s, '2030-03-04')).toBe(true);
    expect(nextCrewOnlyAsk(s, NOW)).toBeNull();
  });

  it('a paused member gets one crew text at the earliest crew time of the day', () => {
    const s = member({ pausedUntil: '2030-03-05' });
    applyCrewQuestions(s, walk);
    applyCrewQuestions(s, read);
    // 4 March: only walk, 19:00 EST = 00:00Z next day.
    expect(nextCrewOnlyAsk(s, NOW)).toEqual({
      atMs: Date.parse('2030-03-05T00:00:00Z'),
      localDate: '2030-03-04',
    });
    markCrewsAsked(s, '2030-03-04', ['c-walk']);
    // 5 March: both crews, at the earlier one's 18:00 EST.
    expect(nextCrewOnlyAsk(s, NOW)).toEqual({
      atMs: Date.parse('2030-03-05T23:00:00Z'),
      localDate: '2030-03-05',
    });
    markCrewsAsked(s, '2030-03-05', ['c-read', 'c-walk']);
    // 6 March: not paused any more: the check-in carries them; none until the crews end.
    expect(nextCrewOnlyAsk(s, Date.parse('2030-03-06T01:00:00Z'))).toBeNull();
  });

  it('after the check-in went out without the crew (joined later), the crew text comes that day, inside 08:00-21:00', () => {
    const s = member({ lastPromptDate: '2030-03-04' });
    applyCrewQuestions(s, walk);
    const late = Date.parse('2030-03-05T01:30:00Z'); // 20:30 EST: after 19:00, still in the window
    expect(nextCrewOnlyAsk(s, late)).toEqual({ atMs: late, localDate: '2030-03-04' });
    // 21:30 EST: too late for today; tomorrow the check-in carries it.
    expect(nextCrewOnlyAsk(s, Date.parse('2030-03-05T02:30:00Z'))).toBeNull();
  });

  it('a day with no goal due (gym on Mon/Wed/Fri) is a crew-only day; a goal day carries the crews', () => {
    const s = member();
    s.goals = [newGoal(1, { title: 'gym', cadence: { kind: 'weekdays', days: [1, 3, 5] } }, '2030-03-01')];
    applyCrewQuestions(s, { ...walk, days: 3 });
    // Monday 4 March: the gym check-in carries the crew; Tuesday 5: crew text at 19:00 EST (00:00Z).
    expect(checkInStillComes(s, '2030-03-04')).toBe(true);
    expect(nextCrewOnlyAsk(s, NOW)).toEqual({
      atMs: Date.parse('2030-03-06T00:00:00Z'),
      localDate: '2030-03-05',
    });
  });

  it('an opted-out member gets no crew text at all', () => {
    const s = member({ status: 'opted_out', pausedUntil: '2030-03-09' });
    applyCrewQuestions(s, walk);
    expect(nextCrewOnlyAsk(s, NOW)).toBeNull();
  });

  it('property: never two crew texts for one local day, and never one on a day the check-in still comes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ start: fc.integer({ min: 0, max: 5 }), days: fc.integer({ min: 1, max: 6 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.option(fc.integer({ min: 0, max: 8 })),
        (crews, pausedThrough) => {
          const s = member(
            pausedThrough === null
              ? {}
              : { pausedUntil: `2030-03-${String(4 + pausedThrough).padStart(2, '0')}` },
          );
          crews.forEach((c, i) =>
            applyCrewQuestions(s, {
              challengeId: `c${i}`,
              title: `crew ${i}`,
              startDate: `2030-03-${String(4 + c.start).padStart(2, '0')}`,
              days: c.days,
              promptTime: '19:00',
            }),
          );
          const days: string[] = [];
          let from = NOW;
          for (let i = 0; i < 20; i++) {
            const ask = nextCrewOnlyAsk(s, from);
            if (!ask) break;
            expect(checkInStillComes(s, ask.localDate)).toBe(false);
            expect(crewsDueOn(s, ask.localDate).length).toBeGreaterThan(0);
            markCrewsAsked(s, ask.localDate, crewsDueOn(s, ask.localDate));
            days.push(ask.localDate);
            from = ask.atMs;
          }
          expect(new Set(days).size).toBe(days.length);
        },
      ),
    );
  });
});

describe('splitCrewReply: one reply, split back to each crew', () => {
  const asked = () => {
    const s = member();
    applyCrewQuestions(s, walk);
    applyCrewQuestions(s, read);
    markCrewsAsked(s, '2030-03-05', ['c-read', 'c-walk']);
    return s;
  };
  const at = Date.parse('2030-03-06T01:10:00Z'); // 20:10 EST on 5 March

  it('one answer counts for every crew listed, with its energy and note; the check-in gets the same text', () => {
    expect(splitCrewReply(asked(), 'Y 4 walked with Sam', at)).toEqual({
      rest: 'Y 4 walked with Sam',
      answers: [
        {
          challengeId: 'c-read',
          localDate: '2030-03-05',
          done: true,
          energy: 4,
          reflection: 'walked with Sam',
        },
        {
          challengeId: 'c-walk',
          localDate: '2030-03-05',
          done: true,
          energy: 4,
          reflection: 'walked with Sam',
        },
      ],
    });
  });

  it('an override changes one crew ("Y B N"); overrides only answer the crews and leave nothing for the check-in', () => {
    const r = splitCrewReply(asked(), 'Y B N', at);
    expect(r.rest).toBe('Y');
    expect(r.answers.map((a) => [a.challengeId, a.done])).toEqual([
      ['c-read', true],
      ['c-walk', false],
    ]);
    const only = splitCrewReply(asked(), 'a y 5, b n', at);
    expect(only.rest).toBe('');
    expect(only.answers.map((a) => [a.challengeId, a.done, a.energy])).toEqual([
      ['c-read', true, 5],
      ['c-walk', false, null],
    ]);
  });

  it('letters inside words or beyond the crews listed are not overrides', () => {
    const r = splitCrewReply(asked(), 'Y walked a nice mile, C N', at);
    expect(r.rest).toBe('Y walked a nice mile, C N');
    expect(r.answers.every((a) => a.done)).toBe(true);
  });

  it('a late reply the next morning answers the day asked; "yesterday" answers only yesterday\'s question', () => {
    const morning = Date.parse('2030-03-06T13:00:00Z'); // 08:00 EST on 6 March
    expect(splitCrewReply(asked(), 'N', morning).answers.map((a) => a.localDate)).toEqual([
      '2030-03-05',
      '2030-03-05',
    ]);
    expect(splitCrewReply(asked(), 'yesterday Y', morning).answers).toHaveLength(2);
    expect(splitCrewReply(asked(), 'yesterday Y', at).answers).toEqual([]); // asked today, not yesterday
    expect(splitCrewReply(asked(), 'Y', Date.parse('2030-03-07T13:00:00Z')).answers).toEqual([]); // too old
    // Today's text went out (only the walk crew today): "yesterday Y" still answers yesterday's two crews.
    const s = asked();
    markCrewsAsked(s, '2030-03-06', ['c-walk']);
    const evening = Date.parse('2030-03-07T01:10:00Z'); // 20:10 EST on 6 March
    expect(
      splitCrewReply(s, 'yesterday Y', evening).answers.map((a) => [a.challengeId, a.localDate]),
    ).toEqual([
      ['c-read', '2030-03-05'],
      ['c-walk', '2030-03-05'],
    ]);
    expect(splitCrewReply(s, 'Y', evening).answers.map((a) => [a.challengeId, a.localDate])).toEqual([
      ['c-walk', '2030-03-06'],
    ]);
  });

  it('no crew asked, or not an answer: nothing for the crews', () => {
    expect(splitCrewReply(member(), 'Y', at)).toEqual({ answers: [], rest: 'Y' });
    expect(splitCrewReply(asked(), 'GOAL run 3x week', at).answers).toEqual([]);
    expect(splitCrewReply(asked(), 'REST', at).answers).toEqual([]);
  });
});

describe('texts with crews fit their budget', () => {
  const title = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom('Walk 10 min 🚶', 'Lesen – 20 Seiten'),
  );
  const goals = fc.array(fc.string({ minLength: 1, maxLength: 80 }), { maxLength: 3 });

  it('the check-in with the crews riding on it, the crew-only text and the crew ack', () => {
    fc.assert(
      fc.property(goals, fc.array(title, { minLength: 1, maxLength: 3 }), (goalTitles, crews) => {
        const due =
          goalTitles.length === 0
            ? [{ id: 0, title: '' }]
            : goalTitles.map((t, i) => ({ id: i + 1, title: t }));
        const base = promptText(due);
        if (countSegments(base).segments > MEMBER_TEXT_SEGMENTS) return; // the prompt alone is over (not ours)
        const text = promptWithCrewsText(due, crews);
        expect(text.startsWith(base)).toBe(true);
        // Two segments; a third only when the goal titles already make the prompt UCS-2 (67 characters a part).
        const ucs2 = countSegments(base).encoding === 'UCS-2';
        expect(countSegments(text).segments, text).toBeLessThanOrEqual(MEMBER_TEXT_SEGMENTS + (ucs2 ? 1 : 0));
        expect(countSegments(crewOnlyText(crews)).segments).toBeLessThanOrEqual(MEMBER_TEXT_SEGMENTS);
        const ack = crewAckText(crews.map((t, i) => ({ title: t, done: i % 2 === 0 })));
        expect(countSegments(ack).segments).toBeLessThanOrEqual(MEMBER_TEXT_SEGMENTS);
      }),
    );
  });

  it('names the crews and the override letters', () => {
    expect(promptWithCrewsText([{ id: 0, title: '' }], ['Walk 10 min'])).toBe(
      `${promptText([{ id: 0, title: '' }])} It counts for crew "Walk 10 min" too (if not, add "A N").`,
    );
    expect(crewOnlyText(['Read', 'Walk'])).toBe(
      'Crewline crews A) Read B) Walk: did you do it today? Reply Y or N for all (e.g. "Y 4 walked"), or per crew e.g. "A Y B N".',
    );
  });
});
