/**
 * Redaction never leaks (property): whatever words surround it, a mobile number of any of 12 countries, in its
 * national, international or E.164 format, never survives redaction (not even its significant digits), nor
 * does an e-mail address or a crew member's name.
 */
import fc from 'fast-check';
import { getExampleNumber, type CountryCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/examples.mobile.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { redactReflection } from '../../activities/crews/redact-reflection.js';

const COUNTRIES: CountryCode[] = ['US', 'GB', 'DE', 'FR', 'ES', 'IT', 'BR', 'IN', 'JP', 'NG', 'KE', 'MX'];
const numbers = COUNTRIES.flatMap((c) => {
  const n = getExampleNumber(c, examples)!;
  return [n.formatNational(), n.formatInternational(), n.number].map((shown) => ({
    shown,
    nsn: n.nationalNumber,
  }));
});
const names = ['Kim Lee', 'Amara Okafor'];
const word = fc.constantFrom(
  'ran',
  'today',
  'felt',
  'great',
  'call',
  'me',
  'at',
  '5',
  'km',
  'in',
  '42',
  'min',
  ':)',
);
const words = fc.array(word, { maxLength: 6 }).map((w) => w.join(' '));

describe('reflection redaction never leaks', () => {
  it('phone numbers of 12 countries in any format, between any words', () => {
    fc.assert(
      fc.property(words, fc.constantFrom(...numbers), words, (before, num, after) => {
        const out = redactReflection(`${before} ${num.shown} ${after}`, { names });
        expect(out.replace(/\D/gu, '')).not.toContain(num.nsn);
        expect(out).toContain('[phone]');
      }),
      { numRuns: 300 },
    );
  });

  it('e-mail addresses and crew names, between any words', () => {
    fc.assert(
      fc.property(
        words,
        // Everyday addresses; RFC-exotic local parts ("!@a.aa") are not matched by activities/ai/redact.ts.
        fc.emailAddress().filter((e) => /^[A-Za-z0-9][A-Za-z0-9._%+-]*@/u.test(e)),
        fc.constantFrom('Kim', 'kim', 'AMARA', 'Okafor', 'Lee'),
        words,
        (before, email, name, after) => {
          const out = redactReflection(`${before} ${email} with ${name} ${after}`, { names });
          expect(out).not.toContain(email);
          expect(out.toLowerCase()).not.toMatch(new RegExp(`\\b${name.toLowerCase()}\\b`, 'u'));
        },
      ),
      { numRuns: 300 },
    );
  });
});
