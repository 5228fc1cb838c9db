/** Redaction of personal data before any text is sent to OpenAI. */
import { describe, expect, it } from 'vitest';
import { containsContactInfo, nameVariants, redact, REDACTED } from '../../activities/ai/redact.js';

const P = REDACTED.phone;
const E = REDACTED.email;
const N = REDACTED.name;

describe('phone numbers', () => {
  it.each([
    ['call me at +14155550123 please', `call me at ${P} please`],
    ['+442079460958', P],
    ['+1 (415) 555-0123', P],
    ['+1-415-555-0123', P],
    ['(415) 555-0123', P],
    ['415-555-0123', P],
    ['415.555.0123', P],
    ['415 555 0123', P],
    ['4155550123', P],
    ['555-0123', P],
    ['+44 20 7946 0958', P],
    ['0044 20 7946 0958', P],
    ['+44 (0)20 7946 0958', P],
    ['06 12 34 56 78', P],
    ['+49 30/1234567', P],
    ['tel:+14155550123.', `tel:${P}.`],
    ['numbers: +14155550123, +14155550124', `numbers: ${P}, ${P}`],
    ['(+14155550123)', `(${P})`],
  ])('%s', (input, expected) => expect(redact(input)).toBe(expected));

  it.each([
    'ran 5k in 25 min',
    'did 3x10 pushups, 100 squats',
    'slept 8h, 10000 steps',
    'day 12 of 30',
    'on 2026-11-23 at 19:00',
    'since 23.11.2026',
    'since 11/23/2026',
    'scored 123456 points',
    '',
  ])('keeps %j', (input) => expect(redact(input)).toBe(input));
});

describe('e-mail addresses', () => {
  it.each([
    ['write to ana@example.com.', `write to ${E}.`],
    ['Ana.Lopez+habits@mail.example.co.uk', E],
    ['first_last-99@sub-domain.example.org or x@y.io', `${E} or ${E}`],
    ['josé@exämple.com', E],
  ])('%s', (input, expected) => expect(redact(input)).toBe(expected));

  it('keeps an @ that is not an address', () => expect(redact('gym @ 7pm')).toBe('gym @ 7pm'));
});

describe("the member's name", () => {
  const names = ['Ana'];
  it.each([
    ['Ana here', `${N} here`],
    ['ANA here, ana there, aNa', `${N} here, ${N} there, ${N}`],
    ["Ana's run", `${N}'s run`],
    ['-- Ana.', `-- ${N}.`],
    ['banana Anatomy Ana2 Ana_ Diana', 'banana Anatomy Ana2 Ana_ Diana'],
  ])('%s', (input, expected) => expect(redact(input, { names })).toBe(expected));

  it('redacts the full name and each part, whole words only', () => {
    expect(
      redact('María López-García wrote this; maría too; lopez not', { names: ['María López-García'] }),
    ).toBe(`${N} wrote this; ${N} too; lopez not`);
    expect(redact('Ana Maria de la Cruz, de la', { names: ['Ana Maria de la Cruz'] })).toBe(`${N}, de la`);
    expect(redact('Maria and Cruz', { names: ['Ana Maria de la Cruz'] })).toBe(`${N} and ${N}`);
  });

  it('is case-insensitive beyond ASCII', () => {
    expect(redact('ÉLODIE et élodie', { names: ['Élodie'] })).toBe(`${N} et ${N}`);
    expect(redact('ZOË', { names: ['Zoë'] })).toBe(N);
  });

  it('treats regex characters in names literally', () => {
    expect(redact('J.R. and JxRx', { names: ['J.R.'] })).toBe(`${N} and JxRx`);
    expect(redact('a (b) c', { names: ['(b)'] })).toBe('a (b) c'.replace('(b)', N));
  });

  it('ignores blank names and one-letter parts', () => {
    expect(redact('a b c', { names: ['', '   ', null, undefined] })).toBe('a b c');
    expect(nameVariants('  Ana   B  ')).toEqual(['Ana B', 'Ana']);
    expect(redact('B is a letter; Ana B is a name', { names: ['Ana B'] })).toBe(
      `B is a letter; ${N} is a name`,
    );
  });
});

describe('ids and combinations', () => {
  it('removes UUIDs (member ids)', () => {
    expect(redact('member 3f2b8c1e-9d4a-4e6f-8a7b-1c2d3e4f5a6b here')).toBe(`member ${REDACTED.id} here`);
    expect(redact('3F2B8C1E-9D4A-4E6F-8A7B-1C2D3E4F5A6B')).toBe(REDACTED.id);
  });

  it('redacts everything in one text and is idempotent', () => {
    const input = 'call me at +14155550123 or ana@example.com, Ana here (415) 555-0199';
    const once = redact(input, { names: ['Ana'] });
    expect(once).toBe(`call me at ${P} or ${E}, ${N} here ${P}`);
    expect(redact(once, { names: ['Ana'] })).toBe(once);
  });

  it('detects contact details', () => {
    expect(containsContactInfo('text me +14155550123')).toBe(true);
    expect(containsContactInfo('ana@example.com')).toBe(true);
    expect(containsContactInfo('ran 5k on 2026-11-23, felt great')).toBe(false);
  });
});
