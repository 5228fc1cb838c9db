/**
 * Redaction of a crew reflection before anyone else in the crew may see it (pure: no I/O). Nothing is shown
 * unredacted: the original stays with its author only.
 *
 * 1. Phone numbers of any country, found by libphonenumber-js `findPhoneNumbersInText`: international numbers
 *    (`+`/`00`) whatever the country, and national formats of the crew's members' countries plus a wide default
 *    list (a national number is only recognisable against a country's numbering plan) → [phone].
 * 2. Then the general redactor (`activities/ai/redact.ts`): e-mail addresses, ids, any remaining run of 7+
 *    digits (over-redaction is preferred to a leak), and the names of the crew's members → [email], [phone],
 *    [name].
 */
import { findPhoneNumbersInText, type CountryCode } from 'libphonenumber-js/max';
import { redact, REDACTED } from '../ai/redact.js';

/** National formats tried for every reflection (with the members' own countries). */
export const DEFAULT_COUNTRIES: readonly CountryCode[] = [
  'US',
  'GB',
  'DE',
  'FR',
  'ES',
  'IT',
  'NL',
  'BR',
  'MX',
  'IN',
  'JP',
  'AU',
  'NG',
  'ZA',
  'KE',
  'PH',
  'CN',
  'KR',
  'PL',
  'SE',
  'IE',
  'PT',
  'AR',
  'CO',
  'CA',
  'NZ',
  'SG',
  'AE',
  'TR',
  'EG',
];

export interface ReflectionRedactOptions {
  /** Names of the crew's members (full names; each part of 3+ letters is removed too). */
  names: ReadonlyArray<string>;
  /** The members' countries (from their numbers): their national formats are tried first. */
  countries?: ReadonlyArray<CountryCode>;
}

/**
 * Some numbering plans (DE, SE, KE) accept a date followed by a digit ("2026-11-23, 7") as a number: a match
 * holding a date is left to the general redactor, which keeps plain dates.
 */
const DATE_INSIDE = /(?<!\d)(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{4})(?!\d)/u;

/** Character ranges of phone numbers found in `text`, for any of the countries. */
function phoneRanges(text: string, countries: readonly CountryCode[]): Array<[number, number]> {
  const ranges: Array<[number, number]> = [];
  for (const c of [undefined, ...countries]) {
    for (const found of findPhoneNumbersInText(text, c ? { defaultCountry: c } : {}))
      if (!DATE_INSIDE.test(text.slice(found.startsAt, found.endsAt)))
        ranges.push([found.startsAt, found.endsAt]);
  }
  return ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
}

export function redactReflection(text: string, opts: ReflectionRedactOptions): string {
  const countries = [...new Set([...(opts.countries ?? []), ...DEFAULT_COUNTRIES])];
  let out = '';
  let at = 0;
  for (const [start, end] of phoneRanges(text, countries)) {
    if (end <= at) continue; // inside a range already replaced
    out += text.slice(at, Math.max(at, start)) + REDACTED.phone;
    at = end;
  }
  out += text.slice(at);
  return redact(out, { names: opts.names });
}
