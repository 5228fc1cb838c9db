import { describe, expect, it } from 'vitest';
import {
  assertWithinBudget,
  countSegments,
  fitToSegments,
  smsEncoding,
} from '../../workflows/lib/segments.js';

const EMOJI = '😀'; // one code point, two UTF-16 code units

describe('smsEncoding', () => {
  it.each([
    ['Hello, world!', 'GSM-7'],
    ['Ça coûte 5€ {ok} [x] ~ ^ | \\', 'UCS-2'], // û is not GSM-7
    ['Ça va? 5€ {ok} [x] ~ ^ | \\ \f', 'GSM-7'],
    ['àÄÖÑÜ§¿ΔΦΓΛΩΠΨΣΘΞ£$¥èéùìòØøÅåÆæßÉ@_\n\r', 'GSM-7'],
    [`done ${EMOJI}`, 'UCS-2'],
    ['It’s done', 'UCS-2'], // curly apostrophe
    ['“quoted”', 'UCS-2'],
    ['wait…', 'UCS-2'],
    ['a – b', 'UCS-2'], // en dash
    ['', 'GSM-7'],
  ] as const)('%j → %s', (text, want) => expect(smsEncoding(text)).toBe(want));
});

describe('countSegments', () => {
  it.each([
    ['empty string is one segment', '', 'GSM-7', 0, 1],
    ['160 GSM chars', 'a'.repeat(160), 'GSM-7', 160, 1],
    ['161 GSM chars', 'a'.repeat(161), 'GSM-7', 161, 2],
    ['153*2 GSM chars', 'a'.repeat(306), 'GSM-7', 306, 2],
    ['153*2+1 GSM chars', 'a'.repeat(307), 'GSM-7', 307, 3],
    ['extension chars count 2', '{}'.repeat(40), 'GSM-7', 160, 1],
    ['one more extension char tips over', '{}'.repeat(40) + '€', 'GSM-7', 162, 2],
    ['159 + extension char', 'a'.repeat(159) + '^', 'GSM-7', 161, 2],
    // An escape pair is not split across parts: 152 + [ESC,^] goes to part 2.
    ['escape pair not split', 'a'.repeat(152) + '^' + 'a'.repeat(152), 'GSM-7', 306, 3],
    ['70 UCS-2 units', EMOJI + 'a'.repeat(68), 'UCS-2', 70, 1],
    ['71 UCS-2 units', EMOJI + 'a'.repeat(69), 'UCS-2', 71, 2],
    ['67*2 UCS-2 units', EMOJI + 'a'.repeat(132), 'UCS-2', 134, 2],
    ['67*2+1 UCS-2 units', EMOJI + 'a'.repeat(133), 'UCS-2', 135, 3],
    // 66 units then a surrogate pair: the pair moves to part 2 instead of being split.
    ['surrogate pair not split', 'a'.repeat(66) + EMOJI + 'a'.repeat(66), 'UCS-2', 134, 3],
    ['curly quotes flip to UCS-2', '“' + 'a'.repeat(69), 'UCS-2', 70, 1],
    ['curly quotes flip 71 chars to 2 segments', '“' + 'a'.repeat(70), 'UCS-2', 71, 2],
  ] as const)('%s', (_name, text, encoding, units, segments) =>
    expect(countSegments(text)).toEqual({ encoding, units, segments }),
  );

  it('one emoji flips a 1-segment GSM text to 3 UCS-2 segments', () => {
    const text = 'a'.repeat(150);
    expect(countSegments(text).segments).toBe(1);
    expect(countSegments(text + EMOJI)).toEqual({ encoding: 'UCS-2', units: 152, segments: 3 });
  });
});

describe('fitToSegments', () => {
  const words = (n: number): string => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

  it('returns text unchanged when it fits', () => {
    expect(fitToSegments('Hello there', 1)).toBe('Hello there');
    expect(fitToSegments('a'.repeat(160), 1)).toBe('a'.repeat(160));
  });

  it.each([1, 2, 3])('keeps a GSM text within %i segment(s), cuts at a word boundary, uses "..."', (max) => {
    const text = words(200);
    const out = fitToSegments(text, max);
    expect(countSegments(out).segments).toBeLessThanOrEqual(max);
    expect(countSegments(out).encoding).toBe('GSM-7');
    expect(out.endsWith('...')).toBe(true);
    const kept = out.slice(0, -3);
    expect(text.startsWith(kept)).toBe(true);
    expect(text[kept.length]).toBe(' '); // ended on a whole word
    expect(out.length).toBeGreaterThan(max === 1 ? 140 : 153 * max - 12); // did not throw away much
  });

  it.each([1, 2])('keeps a UCS-2 text within %i segment(s) and uses "…"', (max) => {
    const text = `${EMOJI} ${words(100)}`;
    const out = fitToSegments(text, max);
    expect(countSegments(out)).toMatchObject({ encoding: 'UCS-2' });
    expect(countSegments(out).segments).toBeLessThanOrEqual(max);
    expect(out.endsWith('…')).toBe(true);
    expect(out.startsWith(EMOJI)).toBe(true);
  });

  it('drops a late emoji rather than flipping the whole text to UCS-2', () => {
    const text = `${'Great job today. '.repeat(9)}Keep going ${EMOJI} and see you tomorrow!`;
    const out = fitToSegments(text, 1);
    expect(countSegments(out)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
    expect(out.endsWith('...')).toBe(true);
  });

  it('never splits a surrogate pair', () => {
    const out = fitToSegments(EMOJI.repeat(100), 1);
    expect(countSegments(out).segments).toBe(1);
    expect(out).toBe(EMOJI.repeat(34) + '…'); // 68 + 1 = 69 units
  });

  it('cuts mid-word when there is no usable boundary', () => {
    const out = fitToSegments('x'.repeat(400), 1);
    expect(out).toBe('x'.repeat(157) + '...');
  });

  it('drops trailing punctuation/whitespace before the ellipsis', () => {
    const text = 'a'.repeat(150) + ', ' + 'b'.repeat(20);
    expect(fitToSegments(text, 1)).toBe('a'.repeat(150) + '...');
  });

  it('rejects a non-positive budget', () => {
    expect(() => fitToSegments('hi', 0)).toThrow(RangeError);
  });
});

describe('assertWithinBudget', () => {
  it('passes within budget', () => {
    expect(() => assertWithinBudget('reminder', 'a'.repeat(306), 2)).not.toThrow();
  });
  it('throws a descriptive error naming the template and culprits', () => {
    expect(() => assertWithinBudget('welcome', '“' + 'a'.repeat(70), 1)).toThrow(
      /SMS "welcome" is 2 segments \(UCS-2, 71 units\), over its budget of 1\. Non-GSM-7 characters forcing UCS-2: "“"/,
    );
    expect(() => assertWithinBudget('long', 'a'.repeat(161), 1)).toThrow(
      /"long" is 2 segments \(GSM-7, 161 units\)/,
    );
  });
});
