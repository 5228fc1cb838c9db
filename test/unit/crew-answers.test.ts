/**
 * Crew pulse answers by SMS (workflows/crew-challenge/answers.ts): done/not done, an optional energy 1–5, an
 * optional reflection cut to REFLECTION_MAX, "yesterday" for a late answer; the SMS texts of the crew's question.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clipReflection, parseCrewAnswer, REFLECTION_MAX } from '../../workflows/crew-challenge/answers.js';
import type { CrewChallengeInput } from '../../workflows/crew-challenge/definitions.js';
import { cellKey } from '../../workflows/crew-challenge/pulse.js';
import {
  answerDate,
  markAsked,
  nextAsks,
  queueReply,
  takeReply,
} from '../../workflows/crew-challenge/sms.js';
import { initialState, type ChallengeState } from '../../workflows/crew-challenge/state.js';
import {
  askText,
  answerAckText,
  answerClarifyText,
  answerRefusedText,
  TEXT_BUDGET_SEGMENTS,
} from '../../workflows/crew-challenge/texts.js';
import {
  alreadyMemberText,
  chooseCrewText,
  crewFullText,
  joinConfirmText,
  joinedText,
  leftText,
  NOT_IN_CREW_TEXT,
  wrongCodeText,
} from '../../workflows/crew/texts.js';
import { parseCrewCommand } from '../../workflows/lib/keywords.js';
import { countSegments } from '../../workflows/lib/segments.js';

const ok = (done: boolean, energy: number | null = null, reflection: string | null = null, y = false) => ({
  ok: true,
  done,
  energy,
  reflection,
  forYesterday: y,
});

describe('parseCrewAnswer', () => {
  it.each([
    ['Y', ok(true)],
    ['n', ok(false)],
    ['  yes  ', ok(true)],
    ['Done!', ok(true)],
    ['Y 4', ok(true, 4)],
    ['Y4', ok(true, 4)],
    ['nope, 1', ok(false, 1)],
    ['N 2 long day at work', ok(false, 2, 'long day at work')],
    ['Y great walk by the river', ok(true, null, 'great walk by the river')],
    ['Y 10 km today', ok(true, null, '10 km today')],
    ['👍 5', ok(true, 5)],
    ['❌', ok(false)],
    ['Ｙ ３', ok(true, 3)],
    ['yesterday Y 3', ok(true, 3, null, true)],
    ['yday: n tired', ok(false, null, 'tired', true)],
  ])('%j', (body, expected) => {
    expect(parseCrewAnswer(body)).toEqual(expected);
  });

  it.each([['hello'], ['yo'], ['nice one'], [''], ['4'], ['why not']])('%j is not an answer', (body) => {
    expect(parseCrewAnswer(body)).toEqual({ ok: false, reason: 'no_answer' });
  });

  it.each([['Y 0'], ['N 7'], ['y 9 tired']])('%j: an energy outside 1–5 is refused, not guessed', (body) => {
    expect(parseCrewAnswer(body)).toEqual({ ok: false, reason: 'energy' });
  });

  it('cuts a long reflection to REFLECTION_MAX characters, on a word when one is near', () => {
    const long = `Y 3 ${'walked along the canal '.repeat(30)}`;
    const r = parseCrewAnswer(long);
    expect(r.ok && r.reflection).toBeTruthy();
    if (!r.ok) return;
    expect([...r.reflection!].length).toBeLessThanOrEqual(REFLECTION_MAX);
    expect(r.reflection!.endsWith('canal') || r.reflection!.endsWith('along')).toBe(true);
    expect(clipReflection('x'.repeat(400))).toBe('x'.repeat(REFLECTION_MAX));
  });

  it('property: what a member types as "<Y|N> [energy] [note]" reads back as typed', () => {
    const word = fc
      .stringMatching(/^[a-z]{2,8}$/)
      .filter((w) => !/^(?:yes|yep|yeah|yup|done|no|nope|nah)$/.test(w));
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 5 }), { nil: null }),
        fc.array(word, { maxLength: 8 }),
        fc.constantFrom('', ' ', ', '),
        fc.boolean(),
        (done, energy, words, sep, yesterday) => {
          const note = words.join(' ');
          const body = [yesterday ? 'yesterday' : '', done ? 'Y' : 'N', energy ?? '', note]
            .filter((p) => p !== '')
            .join(sep || ' ');
          expect(parseCrewAnswer(body)).toEqual(ok(done, energy, note || null, yesterday));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: any text parses without throwing, and a kept reflection fits the limit', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 600 }), (body) => {
        const r = parseCrewAnswer(body);
        if (r.ok && r.reflection !== null) {
          expect([...r.reflection].length).toBeLessThanOrEqual(REFLECTION_MAX);
          expect(r.reflection).toBe(r.reflection.trim());
        }
        if (r.ok && r.energy !== null) expect(r.energy).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 500 },
    );
  });
});

describe('crew SMS texts', () => {
  it('fit their segment budget with the longest title', () => {
    const title = 'x'.repeat(80);
    for (const text of [
      askText(title, 90, 90),
      answerAckText(title, 90, { done: true, energy: 5 }),
      answerAckText(title, 90, { done: false, energy: null }),
      answerClarifyText(title),
      answerRefusedText(title, 'the 24 h grace for that day has passed'),
      answerRefusedText(title, 'has not begun yet in the member’s zone', 'localDate'),
    ])
      expect(countSegments(text).segments, text).toBeLessThanOrEqual(TEXT_BUDGET_SEGMENTS);
  });

  it('a refusal reads as a sentence whatever the validator named', () => {
    expect(answerRefusedText('Walk', 'is outside the challenge', 'localDate')).toBe(
      'That answer for "Walk" could not count: that day is outside the challenge.',
    );
    expect(answerRefusedText('Walk', 'has not begun yet in the member’s zone', 'localDate')).toBe(
      'That answer for "Walk" could not count: that day has not begun yet in your zone.',
    );
    expect(answerRefusedText('Walk', 'is not in this challenge', 'memberId')).toBe(
      'That answer for "Walk" could not count: you are not in this challenge.',
    );
    expect(answerRefusedText('Walk', 'the 24 h grace for that day has passed', 'localDate')).toBe(
      'That answer for "Walk" could not count: the 24 h grace for that day has passed.',
    );
    expect(answerRefusedText('Walk', 'the challenge is completed', 'status')).toBe(
      'That answer for "Walk" could not count: the challenge is completed.',
    );
  });
});

describe('parseCrewCommand', () => {
  it.each([
    ['JOIN K7MX2Q', { command: 'join', code: 'K7MX2Q' }],
    ['  join k7mx2q. ', { command: 'join', code: 'K7MX2Q' }],
    ['Join   K7MX2Q!', { command: 'join', code: 'K7MX2Q' }],
    ['LEAVE', { command: 'leave', code: null }],
    ['leave.', { command: 'leave', code: null }],
    ['Leave k7mx2q', { command: 'leave', code: 'K7MX2Q' }],
  ])('%j', (body, expected) => {
    expect(parseCrewCommand(body)).toEqual(expected);
  });

  it.each([['JOIN'], ['join us'], ['JOIN K7MX2'], ['JOIN K7MX2Q please'], ['leave me alone'], ['Y']])(
    '%j is not a crew command (a bare JOIN may be an onboarding confirmation)',
    (body) => {
      expect(parseCrewCommand(body)).toBeNull();
    },
  );
});

describe('crew membership texts', () => {
  it('fit their segment budget with the longest names', () => {
    const name = 'x'.repeat(80);
    const crews = Array.from({ length: 6 }, () => ({ name, joinCode: 'K7MX2Q' }));
    for (const text of [
      joinConfirmText(name, 30),
      joinedText(name),
      alreadyMemberText(name),
      crewFullText(name),
      wrongCodeText('K7MX2Q'),
      leftText(name),
      NOT_IN_CREW_TEXT,
      chooseCrewText(crews),
    ])
      expect(countSegments(text).segments, text).toBeLessThanOrEqual(TEXT_BUDGET_SEGMENTS);
  });
});

describe('the daily question (sms.ts)', () => {
  const input: CrewChallengeInput = {
    challengeId: 'c',
    crewId: 'k',
    title: 'Walks',
    days: 3,
    startDate: '2027-03-13',
    timezone: 'America/New_York',
    minSize: 3,
    k: 5,
    members: [
      { memberId: 'ny', timezone: 'America/New_York' },
      { memberId: 'tokyo', timezone: 'Asia/Tokyo' },
    ],
  };
  const active = (): ChallengeState => ({ ...initialState(input, 0), status: 'active' });
  const iso = (ms: number) => new Date(ms).toISOString();

  it('asks each member at 19:00 in their own zone, DST included, and expects the reply until the grace ends', () => {
    const s = active();
    const asks = nextAsks(s, input, Date.parse('2027-03-13T00:00:00Z'));
    expect(asks.map((a) => [a.memberId, a.day, iso(a.atMs), iso(a.untilMs)])).toEqual([
      ['tokyo', 0, '2027-03-13T10:00:00.000Z', '2027-03-14T15:00:00.000Z'],
      ['ny', 0, '2027-03-14T00:00:00.000Z', '2027-03-15T05:00:00.000Z'],
    ]);
    markAsked(s, 'ny', 0);
    // New York's day 2 is 2027-03-14, the spring-forward day: 19:00 EDT = 23:00Z.
    const ny = nextAsks(s, input, Date.parse('2027-03-14T01:00:00Z')).find((a) => a.memberId === 'ny')!;
    expect([ny.day, iso(ny.atMs)]).toEqual([1, '2027-03-14T23:00:00.000Z']);
  });

  it('never asks before the start, for a day already over or answered, or a member who left', () => {
    const s = active();
    expect(nextAsks({ ...s, status: 'gathering' }, input, 0)).toEqual([]);
    s.answers[cellKey({ memberId: 'ny', day: 0 })] = { done: true, energy: null };
    // Tokyo's day 1 is over at 2027-03-13T15:00Z: its next question is day 2.
    const asks = nextAsks(s, input, Date.parse('2027-03-13T16:00:00Z'));
    expect(asks.map((a) => [a.memberId, a.day])).toEqual([
      ['tokyo', 1],
      ['ny', 1],
    ]);
    s.members.tokyo!.leftAtMs = 1;
    expect(nextAsks(s, input, Date.parse('2027-03-13T16:00:00Z')).map((a) => a.memberId)).toEqual(['ny']);
    markAsked(s, 'ny', 2);
    expect(nextAsks(s, input, Date.parse('2027-03-13T16:00:00Z'))).toEqual([]);
  });

  it('a reply answers the latest day asked; "yesterday" the local yesterday; never asked: today', () => {
    const s = active();
    const morning = Date.parse('2027-03-15T12:00:00Z'); // 08:00 in New York on the 15th
    expect(answerDate(s, 'ny', 'America/New_York', false, morning)).toBe('2027-03-15');
    markAsked(s, 'ny', 1);
    expect(answerDate(s, 'ny', 'America/New_York', false, morning)).toBe('2027-03-14');
    expect(answerDate(s, 'ny', 'America/New_York', true, morning)).toBe('2027-03-14');
    expect(answerDate(s, 'tokyo', 'Asia/Tokyo', true, morning)).toBe('2027-03-14');
  });

  it('queues each inbound text once, also after it was handled', () => {
    const s = active();
    const r = { inboundId: 7, body: 'Y', receivedAtMs: 0, memberId: 'ny' };
    expect(queueReply(s, r)).toBe(true);
    expect(queueReply(s, r)).toBe(false);
    expect(takeReply(s)).toEqual(r);
    expect(queueReply(s, r)).toBe(false);
    expect(takeReply(s)).toBeUndefined();
  });
});
