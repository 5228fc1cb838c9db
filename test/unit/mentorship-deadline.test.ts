import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localMinutesOfDay } from '../../workflows/lib/time.js';
import { afterWakingTime } from '../../workflows/mentorship-match/deadline.js';

const H = 3_600_000;

describe('the accept-by clock pauses in the mentor’s quiet hours (21:00–08:00 local)', () => {
  it('72 h from Monday 08:00 in New York (13 waking hours a day) end on Saturday 15:00', () => {
    const start = Date.parse('2028-07-03T12:00:00Z'); // Monday 08:00 EDT
    // 72 = 5 × 13 + 7 → Saturday 08:00 + 7 h
    expect(new Date(afterWakingTime(start, 72 * H, 'America/New_York')).toISOString()).toBe(
      '2028-07-08T19:00:00.000Z',
    );
  });

  it('an offer made inside quiet hours starts counting at 08:00', () => {
    const start = Date.parse('2028-07-03T02:00:00Z'); // Sunday 22:00 EDT
    expect(new Date(afterWakingTime(start, 1 * H, 'America/New_York')).toISOString()).toBe(
      '2028-07-03T13:00:00.000Z',
    );
  });

  it('never ends inside quiet hours, never earlier than the plain clock, and grows with the time counted', () => {
    const zones = ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'UTC'];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2026-01-01'), max: Date.parse('2030-01-01') }),
        fc.integer({ min: 1, max: 100 * 60 }).map((m) => m * 60_000),
        fc.integer({ min: 0, max: 60 }).map((m) => m * 60_000),
        fc.constantFrom(...zones),
        (start, counted, more, tz) => {
          const end = afterWakingTime(start, counted, tz);
          expect(end).toBeGreaterThanOrEqual(start + counted);
          const m = localMinutesOfDay(end, tz);
          // The end may fall exactly at 21:00 (the last waking minute runs out) but never later in the night.
          expect(m >= 8 * 60 && m <= 21 * 60).toBe(true);
          expect(afterWakingTime(start, counted + more, tz)).toBeGreaterThanOrEqual(end);
        },
      ),
      { numRuns: 300 },
    );
  });
});
