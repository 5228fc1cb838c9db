/**
 * Crew pulse answers by SMS (workflows/crew-challenge/answers.ts): done/not done, an optional energy 1–5, an
 * optional reflection cut to REFLECTION_MAX, "yesterday" for a late answer; the SMS texts of the crew's question.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clipReflection, parseCrewAnswer, REFLECTION_MAX } from '../../workflows/crew-challenge/answers.js';
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
    ])
      expect(countSegments(text).segments, text).toBeLessThanOrEqual(TEXT_BUDGET_SEGMENTS);
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
