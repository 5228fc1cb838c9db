import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  isValidTimeZone,
  localDate,
  localMinutesOfDay,
  localParts,
  nextAllowedInstant,
  nextLocalTime,
  parseHHMM,
  startOfNextLocalDay,
  zonedTimeToUtc,
} from '../../workflows/lib/time.js';

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const KOLKATA = 'Asia/Kolkata';
const LORD_HOWE = 'Australia/Lord_Howe';
const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const SEVEN_PM = { hour: 19, minute: 0 };
const QUIET = { start: '08:00', end: '21:00' };

describe('isValidTimeZone', () => {
  it.each(['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'])(
    'accepts %s',
    (tz) => expect(isValidTimeZone(tz)).toBe(true),
  );
  it.each(['', ' ', 'Mars/Olympus', 'America/NewYork', '+05:30', '-04:00', 'EST+5'])('rejects %j', (tz) =>
    expect(isValidTimeZone(tz)).toBe(false),
  );
  it('localParts throws on an invalid zone', () => {
    expect(() => localParts(0, 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('parseHHMM', () => {
  it.each([
    ['00:00', { hour: 0, minute: 0 }],
    ['08:05', { hour: 8, minute: 5 }],
    ['23:59', { hour: 23, minute: 59 }],
  ])('parses %s', (s, want) => expect(parseHHMM(s)).toEqual(want));
  it.each(['24:00', '8:00', '08:60', '08:0', ' 08:00', '08:00 ', '0800', '', 'ab:cd'])('rejects %j', (s) =>
    expect(parseHHMM(s)).toBeNull(),
  );
});

describe('addDays', () => {
  it.each([
    ['2024-02-28', 1, '2024-02-29'],
    ['2026-02-28', 1, '2026-03-01'],
    ['2026-12-31', 1, '2027-01-01'],
    ['2026-03-01', -1, '2026-02-28'],
    ['2026-03-08', 0, '2026-03-08'],
    ['2026-01-01', 365, '2027-01-01'],
  ] as const)('%s + %i = %s', (d, n, want) => expect(addDays(d, n)).toBe(want));
  it('rejects malformed input', () => {
    expect(() => addDays('2026-02-30', 1)).toThrow(RangeError);
    expect(() => addDays('2026-3-1', 1)).toThrow(RangeError);
    expect(() => addDays('2026-03-01', 1.5)).toThrow(RangeError);
  });
});

describe('localParts / localDate / localMinutesOfDay', () => {
  it('gives wall-clock fields and weekday (0 = Sunday)', () => {
    expect(localParts(at('2026-03-08T07:00:00Z'), NY)).toEqual({
      year: 2026,
      month: 3,
      day: 8,
      hour: 3,
      minute: 0,
      second: 0,
      weekday: 0,
    });
    expect(localParts(at('2026-01-15T23:59:59Z'), 'UTC').weekday).toBe(4);
  });

  it('localDate flips exactly at local midnight', () => {
    expect(localDate(at('2026-01-16T04:59:59Z'), NY)).toBe('2026-01-15');
    expect(localDate(at('2026-01-16T05:00:00Z'), NY)).toBe('2026-01-16');
    expect(localDate(at('2026-03-08T18:29:59Z'), KOLKATA)).toBe('2026-03-08');
    expect(localDate(at('2026-03-08T18:30:00Z'), KOLKATA)).toBe('2026-03-09');
    expect(localDate(at('2026-06-30T21:59:59Z'), BERLIN)).toBe('2026-06-30');
    expect(localDate(at('2026-06-30T22:00:00Z'), BERLIN)).toBe('2026-07-01');
  });

  it('localMinutesOfDay', () => {
    expect(localMinutesOfDay(at('2026-03-08T13:30:00Z'), KOLKATA)).toBe(19 * 60);
    expect(localMinutesOfDay(at('2026-11-01T05:30:00Z'), NY)).toBe(90); // 01:30 EDT
    expect(localMinutesOfDay(at('2026-11-01T06:30:00Z'), NY)).toBe(90); // 01:30 EST
  });
});

describe('zonedTimeToUtc', () => {
  it.each([
    ['ordinary NY winter', '2026-01-15', 19, 0, NY, '2026-01-16T00:00:00.000Z'],
    ['ordinary NY summer', '2026-07-01', 19, 0, NY, '2026-07-01T23:00:00.000Z'],
    ['Kolkata +05:30', '2026-03-08', 19, 0, KOLKATA, '2026-03-08T13:30:00.000Z'],
    ['Kolkata midnight', '2026-03-09', 0, 0, KOLKATA, '2026-03-08T18:30:00.000Z'],
    // Gaps resolve to the transition instant (first wall-clock reading at/after the requested time).
    ['NY gap 02:30', '2026-03-08', 2, 30, NY, '2026-03-08T07:00:00.000Z'],
    ['NY gap 02:00', '2026-03-08', 2, 0, NY, '2026-03-08T07:00:00.000Z'],
    ['NY after gap 03:00', '2026-03-08', 3, 0, NY, '2026-03-08T07:00:00.000Z'],
    ['NY before gap 01:59', '2026-03-08', 1, 59, NY, '2026-03-08T06:59:00.000Z'],
    ['Berlin gap 02:30', '2026-03-29', 2, 30, BERLIN, '2026-03-29T01:00:00.000Z'],
    ['Lord Howe 30-min gap 02:15', '2026-10-04', 2, 15, LORD_HOWE, '2026-10-03T15:30:00.000Z'],
    // Ambiguous times resolve to the first occurrence (daylight time).
    ['NY overlap 01:30', '2026-11-01', 1, 30, NY, '2026-11-01T05:30:00.000Z'],
    ['Berlin overlap 02:30', '2026-10-25', 2, 30, BERLIN, '2026-10-25T00:30:00.000Z'],
    ['Lord Howe overlap 01:45', '2026-04-05', 1, 45, LORD_HOWE, '2026-04-04T14:45:00.000Z'],
    // Whole-day skip (Samoa jumped from 2011-12-29 24:00 to 2011-12-31 00:00).
    ['Apia skipped day', '2011-12-30', 12, 0, 'Pacific/Apia', '2011-12-30T10:00:00.000Z'],
  ] as const)('%s', (_name, date, h, m, tz, want) => expect(iso(zonedTimeToUtc(date, h, m, tz))).toBe(want));

  it('is monotonic through a gap', () => {
    const times = [
      [1, 59],
      [2, 0],
      [2, 30],
      [2, 59],
      [3, 0],
      [3, 1],
    ].map(([h, m]) => zonedTimeToUtc('2026-03-08', h!, m!, NY));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it('rejects bad arguments', () => {
    expect(() => zonedTimeToUtc('2026-03-08', 24, 0, NY)).toThrow(RangeError);
    expect(() => zonedTimeToUtc('2026-03-08', 1, 60, NY)).toThrow(RangeError);
    expect(() => zonedTimeToUtc('2026-13-01', 1, 0, NY)).toThrow(RangeError);
    expect(() => zonedTimeToUtc('2026-03-08', 1, 0, 'Nope/Nope')).toThrow(RangeError);
  });
});

describe('nextLocalTime', () => {
  it.each([
    ['NY ordinary day', '2026-01-15T03:00:00Z', NY, '2026-01-16T00:00:00.000Z'],
    ['NY eve of spring forward', '2026-03-07T03:00:00Z', NY, '2026-03-08T00:00:00.000Z'],
    ['NY spring forward 2026-03-08', '2026-03-08T03:00:00Z', NY, '2026-03-08T23:00:00.000Z'],
    ['NY day after spring forward', '2026-03-09T03:00:00Z', NY, '2026-03-09T23:00:00.000Z'],
    ['NY fall back 2026-11-01', '2026-11-01T03:00:00Z', NY, '2026-11-02T00:00:00.000Z'],
    ['NY eve of fall back', '2026-10-31T03:00:00Z', NY, '2026-10-31T23:00:00.000Z'],
    ['Kolkata same local day', '2026-03-08T03:00:00Z', KOLKATA, '2026-03-08T13:30:00.000Z'],
    ['Kolkata next local day', '2026-03-08T13:30:00Z', KOLKATA, '2026-03-09T13:30:00.000Z'],
    ['Berlin before spring forward', '2026-03-28T03:00:00Z', BERLIN, '2026-03-28T18:00:00.000Z'],
    ['Berlin spring forward 2026-03-29', '2026-03-29T03:00:00Z', BERLIN, '2026-03-29T17:00:00.000Z'],
    ['Berlin fall back 2026-10-25', '2026-10-25T03:00:00Z', BERLIN, '2026-10-25T18:00:00.000Z'],
    ['Lord Howe DST (+11)', '2026-04-04T03:00:00Z', LORD_HOWE, '2026-04-04T08:00:00.000Z'],
    ['Lord Howe standard (+10:30)', '2026-04-05T03:00:00Z', LORD_HOWE, '2026-04-05T08:30:00.000Z'],
    ['Lord Howe DST starts', '2026-10-04T03:00:00Z', LORD_HOWE, '2026-10-04T08:00:00.000Z'],
  ] as const)('19:00 — %s', (_name, from, tz, want) =>
    expect(iso(nextLocalTime(at(from), SEVEN_PM, tz))).toBe(want),
  );

  it('is strictly after: exactly at the time gives the next day', () => {
    expect(iso(nextLocalTime(at('2026-01-16T00:00:00Z'), SEVEN_PM, NY))).toBe('2026-01-17T00:00:00.000Z');
  });

  it('chains across spring forward with a 23-hour step', () => {
    const a = nextLocalTime(at('2026-03-07T03:00:00Z'), SEVEN_PM, NY);
    const b = nextLocalTime(a, SEVEN_PM, NY);
    expect((b - a) / 3_600_000).toBe(23);
  });

  it('fires once per local day through the fall-back overlap (first occurrence only)', () => {
    const first = nextLocalTime(at('2026-11-01T00:00:00Z'), { hour: 1, minute: 30 }, NY);
    expect(iso(first)).toBe('2026-11-01T05:30:00.000Z');
    expect(iso(nextLocalTime(first, { hour: 1, minute: 30 }, NY))).toBe('2026-11-02T06:30:00.000Z');
  });

  it('a time inside the gap fires at the transition', () => {
    expect(iso(nextLocalTime(at('2026-03-08T03:00:00Z'), { hour: 2, minute: 30 }, NY))).toBe(
      '2026-03-08T07:00:00.000Z',
    );
  });
});

describe('startOfNextLocalDay', () => {
  it.each([
    ['NY ordinary', '2026-01-15T12:00:00Z', NY, '2026-01-16T05:00:00.000Z'],
    ['NY into spring-forward day', '2026-03-07T12:00:00Z', NY, '2026-03-08T05:00:00.000Z'],
    ['NY after spring-forward day (23h)', '2026-03-08T12:00:00Z', NY, '2026-03-09T04:00:00.000Z'],
    ['NY into fall-back day', '2026-10-31T12:00:00Z', NY, '2026-11-01T04:00:00.000Z'],
    ['NY after fall-back day (25h)', '2026-11-01T12:00:00Z', NY, '2026-11-02T05:00:00.000Z'],
    ['Kolkata', '2026-03-08T12:00:00Z', KOLKATA, '2026-03-08T18:30:00.000Z'],
    ['just before midnight', '2026-01-16T04:59:59Z', NY, '2026-01-16T05:00:00.000Z'],
    ['exactly at midnight', '2026-01-16T05:00:00Z', NY, '2026-01-17T05:00:00.000Z'],
    // Santiago skips 00:00–01:00 on 2026-09-06: the day starts at 01:00 local.
    ['midnight in a gap', '2026-09-05T12:00:00Z', 'America/Santiago', '2026-09-06T04:00:00.000Z'],
  ] as const)('%s', (_name, from, tz, want) => expect(iso(startOfNextLocalDay(at(from), tz))).toBe(want));
});

describe('nextAllowedInstant (08:00–21:00)', () => {
  it.each([
    ['NY inside window', '2026-01-15T14:00:00Z', NY, '2026-01-15T14:00:00.000Z'],
    ['NY 20:59 is inside', '2026-01-16T01:59:00Z', NY, '2026-01-16T01:59:00.000Z'],
    ['NY 08:00 is inside', '2026-01-15T13:00:00Z', NY, '2026-01-15T13:00:00.000Z'],
    ['NY before start → today 08:00', '2026-01-15T12:00:00Z', NY, '2026-01-15T13:00:00.000Z'],
    ['NY at end → tomorrow 08:00', '2026-01-16T02:00:00Z', NY, '2026-01-16T13:00:00.000Z'],
    [
      'NY spring forward, 02:00 EST (gap) → 08:00 EDT',
      '2026-03-08T07:00:00Z',
      NY,
      '2026-03-08T12:00:00.000Z',
    ],
    ['NY spring forward, from previous evening', '2026-03-08T03:00:00Z', NY, '2026-03-08T12:00:00.000Z'],
    ['NY fall back, first 01:30', '2026-11-01T05:30:00Z', NY, '2026-11-01T13:00:00.000Z'],
    ['NY fall back, second 01:30', '2026-11-01T06:30:00Z', NY, '2026-11-01T13:00:00.000Z'],
    ['NY fall back, from previous evening', '2026-11-01T01:30:00Z', NY, '2026-11-01T13:00:00.000Z'],
    [
      'Berlin spring forward 01:30 CET → 08:00 CEST',
      '2026-03-29T00:30:00Z',
      BERLIN,
      '2026-03-29T06:00:00.000Z',
    ],
    ['Berlin fall back 02:30 CET → 08:00 CET', '2026-10-25T01:30:00Z', BERLIN, '2026-10-25T07:00:00.000Z'],
    ['Kolkata 21:30 → tomorrow 08:00', '2026-03-08T16:00:00Z', KOLKATA, '2026-03-09T02:30:00.000Z'],
    ['Kolkata inside', '2026-03-08T05:00:00Z', KOLKATA, '2026-03-08T05:00:00.000Z'],
    [
      'Lord Howe DST start 03:00 → 08:00 (+11)',
      '2026-10-03T16:00:00Z',
      LORD_HOWE,
      '2026-10-03T21:00:00.000Z',
    ],
    [
      'Lord Howe DST end 01:45 → 08:00 (+10:30)',
      '2026-04-04T14:45:00Z',
      LORD_HOWE,
      '2026-04-04T21:30:00.000Z',
    ],
  ] as const)('%s', (_name, from, tz, want) =>
    expect(iso(nextAllowedInstant(at(from), tz, QUIET))).toBe(want),
  );

  it('supports windows that wrap midnight and always-open windows', () => {
    const night = { start: '22:00', end: '06:00' };
    expect(iso(nextAllowedInstant(at('2026-01-15T04:00:00Z'), NY, night))).toBe('2026-01-15T04:00:00.000Z'); // 23:00
    expect(iso(nextAllowedInstant(at('2026-01-15T10:00:00Z'), NY, night))).toBe('2026-01-15T10:00:00.000Z'); // 05:00
    expect(iso(nextAllowedInstant(at('2026-01-15T12:00:00Z'), NY, night))).toBe('2026-01-16T03:00:00.000Z'); // 07:00
    expect(nextAllowedInstant(123, NY, { start: '08:00', end: '08:00' })).toBe(123);
  });

  it('throws on a malformed window', () => {
    expect(() => nextAllowedInstant(0, NY, { start: '8:00', end: '21:00' })).toThrow(RangeError);
  });

  it('a window wholly inside the spring-forward gap does not exist that day: the next day opens it', () => {
    // New York skips 02:00–03:00 on 2027-03-14; a send window 02:00–02:30 has no instant that day.
    const gap = { start: '02:00', end: '02:30' };
    // 02:30 EST on the 13th (closed) → not 03:00 EDT on the 14th (outside the window), but 02:00 EDT on the 15th.
    expect(iso(nextAllowedInstant(at('2027-03-13T07:30:00Z'), NY, gap))).toBe('2027-03-15T06:00:00.000Z');
    // A window that only starts in the gap is open from the transition.
    expect(iso(nextAllowedInstant(at('2027-03-14T05:00:00Z'), NY, { start: '02:30', end: '04:00' }))).toBe(
      '2027-03-14T07:00:00.000Z',
    );
  });

  it('for all zones, windows and instants: the answer is inside the window, not before, and within 3 days', () => {
    const zones = [NY, BERLIN, KOLKATA, LORD_HOWE, 'America/Santiago', 'Europe/London', 'Asia/Tokyo'];
    const f = (m: number) =>
      `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2028-12-31T00:00:00Z') }),
        fc.integer({ min: 0, max: 24 * 60 - 1 }),
        fc.integer({ min: 0, max: 24 * 60 - 1 }),
        (tz, from, s, e) => {
          const window = { start: f(s), end: f(e) };
          const got = nextAllowedInstant(from, tz, window);
          expect(got).toBeGreaterThanOrEqual(from);
          expect(got - from).toBeLessThan(3 * 86_400_000);
          const m = localMinutesOfDay(got, tz);
          const inside = s === e || (s < e ? m >= s && m < e : m >= s || m < e);
          expect(inside).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
