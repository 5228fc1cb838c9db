/**
 * Pure sending rules of guest campaigns: "each guest at HH:MM in their own zone" within a send window and the
 * guest's quiet hours (DST-correct), and the fair sharing of one sender between campaigns running together.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { campaignRate, fairShares } from '../../workflows/guest-campaign/pacing.js';
import { intersectWindows, localDueAt } from '../../workflows/guest-campaign/schedule.js';
import { localDate, localMinutesOfDay, zonedTimeToUtc } from '../../workflows/lib/time.js';

const MARKETING = { start: '08:00', end: '21:00' };
const FLORIDA = { start: '08:00', end: '20:00' };
const iso = (ms: number) => new Date(ms).toISOString();

describe('each guest at HH:MM in their own zone', () => {
  const early = Date.parse('2027-03-01T00:00:00Z');

  it('is HH:MM local on the date, per zone, across the spring-forward change', () => {
    const schedule = { date: '2027-03-14', time: '09:00' }; // New York springs forward at 02:00 that day
    const at = (timezone: string) => iso(localDueAt({ schedule, timezone, nowMs: early, quiet: MARKETING }));
    expect(at('America/New_York')).toBe('2027-03-14T13:00:00.000Z'); // 09:00 EDT (UTC-4), not EST
    expect(at('America/Chicago')).toBe('2027-03-14T14:00:00.000Z');
    expect(at('America/Los_Angeles')).toBe('2027-03-14T16:00:00.000Z');
    expect(at('Europe/London')).toBe('2027-03-14T09:00:00.000Z'); // London changes on the 28th
    expect(at('Asia/Tokyo')).toBe('2027-03-14T00:00:00.000Z');
    // The day before, New York is still on EST.
    expect(
      iso(
        localDueAt({
          schedule: { ...schedule, date: '2027-03-13' },
          timezone: 'America/New_York',
          nowMs: early,
          quiet: MARKETING,
        }),
      ),
    ).toBe('2027-03-13T14:00:00.000Z');
  });

  it('a time in the skipped hour is the transition; outside quiet hours it waits for the window', () => {
    const schedule = { date: '2027-03-14', time: '02:30' };
    expect(iso(localDueAt({ schedule, timezone: 'America/New_York', nowMs: early, quiet: null }))).toBe(
      '2027-03-14T07:00:00.000Z', // 03:00 EDT
    );
    expect(iso(localDueAt({ schedule, timezone: 'America/New_York', nowMs: early, quiet: MARKETING }))).toBe(
      '2027-03-14T12:00:00.000Z', // 08:00 EDT
    );
  });

  it("the send window and the guest's quiet hours both hold: Florida's 20:00 end, the next morning", () => {
    const schedule = { date: '2027-03-02', time: '20:30', window: { start: '09:00', end: '21:00' } };
    const ny = localDueAt({ schedule, timezone: 'America/New_York', nowMs: early, quiet: MARKETING });
    const fl = localDueAt({ schedule, timezone: 'America/New_York', nowMs: early, quiet: FLORIDA });
    expect(iso(ny)).toBe('2027-03-03T01:30:00.000Z'); // 20:30 EST: inside both
    expect(iso(fl)).toBe('2027-03-03T14:00:00.000Z'); // Florida closes at 20:00: 09:00 next day (the send window)
  });

  it('a campaign that starts late sends now when allowed, else at the next opening', () => {
    const schedule = { date: '2027-03-02', time: '09:00', window: { start: '09:00', end: '17:00' } };
    const tz = 'America/New_York';
    const lateInside = Date.parse('2027-03-02T19:00:00Z'); // 14:00 EST
    expect(localDueAt({ schedule, timezone: tz, nowMs: lateInside, quiet: MARKETING })).toBe(lateInside);
    const lateOutside = Date.parse('2027-03-02T23:00:00Z'); // 18:00 EST
    expect(iso(localDueAt({ schedule, timezone: tz, nowMs: lateOutside, quiet: MARKETING }))).toBe(
      '2027-03-03T14:00:00.000Z',
    );
  });

  it('window intersection', () => {
    expect(intersectWindows({ start: '09:00', end: '22:00' }, FLORIDA)).toEqual({
      start: '09:00',
      end: '20:00',
    });
    expect(intersectWindows({ start: '06:00', end: '07:30' }, FLORIDA)).toBeNull();
  });

  const zones = [
    'America/New_York',
    'America/Chicago',
    'America/Los_Angeles',
    'Europe/London',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
  ];
  const hhmm = fc
    .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
    .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
  const windowArb = fc
    .tuple(fc.integer({ min: 0, max: 22 * 60 }), fc.integer({ min: 30, max: 12 * 60 }))
    .map(([s, len]) => {
      const e = Math.min(24 * 60 - 1, s + len);
      const f = (m: number) =>
        `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
      return { start: f(s), end: f(e) };
    });
  const inside = (ms: number, tz: string, w: { start: string; end: string }) => {
    const m = localMinutesOfDay(ms, tz);
    const [sh, sm] = w.start.split(':').map(Number) as [number, number];
    const [eh, em] = w.end.split(':').map(Number) as [number, number];
    return m >= sh * 60 + sm && m < eh * 60 + em;
  };

  it('for all zones, dates, times, windows and start instants: never before now, never outside the windows, exact when allowed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 730 }),
        hhmm,
        fc.option(windowArb, { nil: null }),
        fc.constantFrom(MARKETING, FLORIDA, null),
        fc.integer({ min: -3 * 86_400_000, max: 3 * 86_400_000 }),
        (timezone, day, time, window, quiet, offset) => {
          const date = localDate(Date.parse('2027-01-01T12:00:00Z') + day * 86_400_000, 'UTC');
          const [h, m] = time.split(':').map(Number) as [number, number];
          const target = zonedTimeToUtc(date, h, m, timezone);
          const nowMs = target + offset;
          const due = localDueAt({ schedule: { date, time, window }, timezone, nowMs, quiet });
          expect(due).toBeGreaterThanOrEqual(nowMs);
          expect(due).toBeGreaterThanOrEqual(target);
          const both = window && quiet ? intersectWindows(window, quiet) : null;
          const binding = both ?? quiet ?? window;
          if (binding) expect(inside(due, timezone, binding)).toBe(true);
          // Held at most until the next opening of the window: within two days of the later of target and now.
          expect(due - Math.max(target, nowMs)).toBeLessThan(2 * 86_400_000);
          const start = Math.max(target, nowMs);
          if (!binding || inside(start, timezone, binding)) expect(due).toBe(start);
        },
      ),
      // The counterexample CI found: a 02:00–02:30 window whose next opening is New York's spring-forward gap.
      {
        numRuns: 500,
        examples: [['America/New_York', 71, '00:00', { start: '02:00', end: '02:30' }, null, 9_000_000]],
      },
    );
  });
});

describe('one sender shared fairly between running campaigns', () => {
  it('equal shares; a campaign slower than its share leaves the rest to the others', () => {
    const three = fairShares(100, [
      { id: 'a', rateMps: null },
      { id: 'b', rateMps: null },
      { id: 'c', rateMps: null },
    ]);
    expect([...three.values()].map((v) => v.toFixed(3))).toEqual(['33.333', '33.333', '33.333']);
    const capped = fairShares(100, [
      { id: 'a', rateMps: null },
      { id: 'b', rateMps: 10 },
      { id: 'c', rateMps: null },
    ]);
    expect(capped.get('b')).toBe(10);
    expect(capped.get('a')).toBe(45);
    expect(capped.get('c')).toBe(45);
    expect(campaignRate(100, { id: 'x', rateMps: 20 }, [])).toBe(20);
    expect(campaignRate(100, { id: 'x', rateMps: null }, [{ id: 'y', rateMps: null }])).toBe(50);
  });

  it('for all senders and campaigns: within each own rate, within the sender, and max-min fair', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 1000, noNaN: true }),
        fc.uniqueArray(
          fc.record({
            id: fc.string({ minLength: 1, maxLength: 4 }),
            rateMps: fc.option(fc.double({ min: 0.1, max: 1000, noNaN: true }), { nil: null }),
          }),
          { selector: (c) => c.id, minLength: 1, maxLength: 8 },
        ),
        (sender, running) => {
          const shares = fairShares(sender, running);
          const total = [...shares.values()].reduce((a, b) => a + b, 0);
          expect(total).toBeLessThanOrEqual(sender * (1 + 1e-9));
          for (const c of running) {
            const s = shares.get(c.id)!;
            expect(s).toBeGreaterThan(0);
            if (c.rateMps !== null) expect(s).toBeLessThanOrEqual(c.rateMps * (1 + 1e-9));
          }
          // Max-min: a campaign below its own rate gets at least every other campaign's share.
          const top = Math.max(...shares.values());
          for (const c of running) {
            const s = shares.get(c.id)!;
            if (c.rateMps === null || s < c.rateMps * (1 - 1e-9))
              expect(s).toBeGreaterThanOrEqual(top * (1 - 1e-9));
          }
          // Nothing left unused while someone could take more.
          const unsatisfied = running.some(
            (c) => c.rateMps === null || shares.get(c.id)! < c.rateMps * (1 - 1e-9),
          );
          if (unsatisfied) expect(total).toBeCloseTo(sender, 6);
        },
      ),
      { numRuns: 500 },
    );
  });
});
