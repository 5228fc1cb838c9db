/**
 * Crew reflections are redacted before anyone else sees them: phone numbers of many countries in their
 * national and international formats (libphonenumber-js plus the general redactor), e-mail addresses and the
 * names of the crew's members; ordinary text, distances, times and dates stay.
 */
import { describe, expect, it } from 'vitest';
import { redactReflection } from '../../activities/crews/redact-reflection.js';

const names = ['Kim Lee', 'Amara Okafor'];
const P = '[phone]';

describe('reflection redaction', () => {
  it.each([
    ['US', 'text me at (415) 555-0132 tonight'],
    ['US intl', 'text me at +1 415 555 0132 tonight'],
    ['GB', 'text me at 020 7946 0958 tonight'],
    ['GB mobile', 'text me at 07700 900123 tonight'],
    ['DE', 'text me at 030 12345678 tonight'],
    ['DE mobile', 'text me at 0151 23456789 tonight'],
    ['FR', 'text me at 06 12 34 56 78 tonight'],
    ['ES', 'text me at 612 34 56 78 tonight'],
    ['IT', 'text me at 312 345 6789 tonight'],
    ['NL', 'text me at 06-12345678 tonight'],
    ['BR', 'text me at (11) 91234-5678 tonight'],
    ['MX', 'text me at 55 1234 5678 tonight'],
    ['IN', 'text me at +91 98765 43210 tonight'],
    ['JP', 'text me at 090-1234-5678 tonight'],
    ['AU', 'text me at 0412 345 678 tonight'],
    ['NG', 'text me at 0803 123 4567 tonight'],
    ['ZA', 'text me at 082 123 4567 tonight'],
    ['KR', 'text me at 010-1234-5678 tonight'],
    ['KE intl', 'text me at +254 712 345678 tonight'],
    ['00 prefix', 'text me at 0049 30 12345678 tonight'],
  ])('%s', (_country, text) => {
    expect(redactReflection(text, { names })).toBe(`text me at ${P} tonight`);
  });

  it('removes e-mail addresses and crew members’ names, keeps everything else', () => {
    expect(
      redactReflection(
        'Walked with Kim and amara, mail kim.lee@example.com! 5 km in 42 min on 2026-11-23, 7/10',
        {
          names,
        },
      ),
    ).toBe('Walked with [name] and [name], mail [email]! 5 km in 42 min on 2026-11-23, 7/10');
  });

  it('several numbers in one reflection, and nothing to redact', () => {
    expect(redactReflection('call 020 7946 0958 or +33 6 12 34 56 78.', { names })).toBe(
      `call ${P} or ${P}.`,
    );
    expect(redactReflection('Felt strong today, 3 sets of 12.', { names })).toBe(
      'Felt strong today, 3 sets of 12.',
    );
  });
});
