/** Small pure text helpers shared by the prompts, the templates and the output cleanup. */
import { fitToSegments } from '../../workflows/lib/segments.js';

/** SMS budgets (segments) per kind of text. */
export const SEGMENT_BUDGET = { motivation: 2, weeklySummary: 3 } as const;

/** The first word of the member's name, at most 20 characters ('' when there is none). */
export function firstName(memberName: string): string {
  const first = memberName.trim().split(/\s+/u)[0] ?? '';
  return Array.from(first).slice(0, 20).join('');
}

export { describeCadence, sessionsPerWeek } from '../../workflows/member/goals.js';

/** Cuts `s` to at most `max` characters at a word boundary when possible (no ellipsis). */
export function clip(s: string, max: number): string {
  const chars = Array.from(s.replace(/\s+/gu, ' ').trim());
  if (chars.length <= max) return chars.join('');
  const cut = chars.slice(0, max).join('');
  const space = cut.lastIndexOf(' ');
  return (space >= max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,;:.-]+$/u, '');
}

/** Typographic characters models like to use that force UCS-2 (halving an SMS), mapped to GSM-7. */
const GSM_FRIENDLY: Array<[RegExp, string]> = [
  [/[\u2018\u2019\u201A\u2032]/gu, "'"],
  [/[\u201C\u201D\u201E\u2033]/gu, '"'],
  [/[\u2010-\u2015\u2212]/gu, '-'],
  [/\u2026/gu, '...'],
  [/[\u00A0\u2000-\u200B\u202F]/gu, ' '],
];

/**
 * A model's reply as one SMS: placeholders resolved ({name}/[name] → first name; other redaction markers
 * dropped), typographic punctuation mapped to GSM-7, whitespace collapsed, wrapping quotes removed, and
 * fitted to `maxSegments`.
 */
export function cleanModelText(raw: string, name: string, maxSegments: number): string {
  let s = raw;
  for (const [re, to] of GSM_FRIENDLY) s = s.replace(re, to);
  s = s
    .replace(name ? /\{name\}|\[name\]/giu : /,?\s*(?:\{name\}|\[name\])/giu, name)
    .replace(/\[(?:phone|email|id)\]/giu, '')
    .replace(/\s+/gu, ' ')
    .replace(/\s+([,.!?;:])/gu, '$1')
    .replace(/^[\s,]+/u, '')
    .trim();
  // A reply wrapped in quotes as a whole ("Keep going!") loses them; quotes inside the text stay.
  const wrapped = /^"([^"]*)"$/u.exec(s) ?? /^'([^']*)'$/u.exec(s);
  if (wrapped) s = (wrapped[1] ?? '').trim();
  return s ? fitToSegments(s, maxSegments) : '';
}
