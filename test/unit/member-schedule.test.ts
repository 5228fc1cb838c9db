/** When the member's next thing happens (workflows/member/schedule.ts), for all inputs where it must hold. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, localDate, localMinutesOfDay, localParts } from '../../workflows/lib/time.js';
import { applyPreferences } from '../../workflows/member/changes.js';
import {
  nextPromptAt,
  nextSummaryAt,
  nextWake,
  nudgeAt,
  ONBOARDING_REMINDER_MS,
} from '../../workflows/member/schedule.js';
import { initialState } from '../../workflows/member/state.js';

const ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'UTC',
  'America/Denver',
];
const zone = fc.constantFrom(...ZONES);
/** 2026–2032, across every DST change in between. */
const instant = fc.integer({
  min: Date.parse('2026-01-01T00:00:00Z'),
  max: Date.parse('2032-12-31T00:00:00Z'),
});
const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const minutesOf = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3));

describe('nextPromptAt', () => {
  it('is strictly after now, at the check-in time (or the DST transition when that time does not exist), never on a paused or already prompted day', () => {
    fc.assert(
      fc.property(
        zone,
        instant,
        hhmm,
        fc.integer({ min: -2, max: 5 }),
        fc.integer({ min: -2, max: 2 }),
        (tz, now, checkInTime, pauseDays, promptedDays) => {
          const today = localDate(now, tz);
          const s = {
            timezone: tz,
            checkInTime,
            pausedUntil: pauseDays >= 0 ? addDays(today, pauseDays) : null,
            lastPromptDate: promptedDays >= -1 ? addDays(today, promptedDays) : null,
          };
          const t = nextPromptAt(s, now);
          expect(t).toBeGreaterThan(now);
          const day = localDate(t, tz);
          if (s.pausedUntil) expect(day > s.pausedUntil).toBe(true);
          if (s.lastPromptDate) expect(day > s.lastPromptDate).toBe(true);
          // At the check-in time, unless a DST gap swallowed it that day (then within the hour after).
          const drift = localMinutesOfDay(t, tz) - minutesOf(checkInTime);
          expect(drift === 0 || (drift > 0 && drift <= 60)).toBe(true);
          // The first such day: the day before it was not eligible or its check-in time had passed.
          const before = addDays(day, -1);
          const eligible = (d: string) =>
            !(s.pausedUntil && d <= s.pausedUntil) && !(s.lastPromptDate && d <= s.lastPromptDate);
          if (before > today && eligible(before)) throw new Error(`skipped an eligible day ${before}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('nudgeAt', () => {
  it('is never in quiet hours (local 08:00–21:00 only), never before the wait is over, never after the day ends', () => {
    fc.assert(
      fc.property(
        zone,
        instant,
        hhmm,
        fc.integer({ min: 0, max: 24 * 60 }),
        fc.integer({ min: 1, max: 30 }),
        (tz, now, checkInTime, after, hoursLeft) => {
          const promptAt = nextPromptAt(
            { timezone: tz, checkInTime, pausedUntil: null, lastPromptDate: null },
            now,
          );
          const end = promptAt + hoursLeft * 3_600_000;
          const t = nudgeAt(promptAt, end, tz, after);
          if (after === 0) {
            expect(t).toBeNull();
            return;
          }
          if (t === null) return;
          expect(t).toBeGreaterThanOrEqual(promptAt + after * 60_000);
          expect(t).toBeLessThan(end);
          const m = localParts(t, tz).hour * 60 + localParts(t, tz).minute;
          expect(m >= 8 * 60 && m < 21 * 60).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a 20:00 check-in with a 2 h wait gets no nudge that day (22:00 is quiet, the day ends first)', () => {
    const promptAt = Date.parse('2028-06-03T02:00:00Z'); // 20:00 MDT
    expect(nudgeAt(promptAt, Date.parse('2028-06-03T06:00:00Z'), 'America/Denver', 120)).toBeNull();
  });
});

describe('nextSummaryAt', () => {
  it('is the next local Sunday 18:00', () => {
    fc.assert(
      fc.property(zone, instant, (tz, now) => {
        const t = nextSummaryAt(tz, now);
        expect(t).toBeGreaterThan(now);
        expect(t - now).toBeLessThanOrEqual(7 * 86_400_000 + 3_600_000);
        const p = localParts(t, tz);
        expect([p.weekday, p.hour, p.minute]).toEqual([0, 18, 0]);
      }),
      { numRuns: 200 },
    );
  });
});

describe('nextWake: the one next-event computation', () => {
  it('right after any preference change, the next event is in the future (nothing is due twice)', () => {
    fc.assert(
      fc.property(zone, instant, hhmm, fc.boolean(), (tz, now, checkInTime, onboarding) => {
        const s = initialState({ memberId: 'm', timezone: 'UTC', checkInTime: '19:00', onboarding }, now);
        applyPreferences(s, { timezone: tz, checkInTime }, now);
        const next = nextWake(s);
        expect(next).not.toBeNull();
        expect(next!.atMs).toBeGreaterThan(now);
        if (onboarding)
          expect(next).toEqual({ event: 'onboarding_reminder', atMs: now + ONBOARDING_REMINDER_MS });
      }),
      { numRuns: 200 },
    );
  });

  it('picks the earliest event; at the same instant, the end of the day comes first', () => {
    const now = Date.parse('2030-03-04T12:00:00Z');
    const s = initialState({ memberId: 'm', timezone: 'America/New_York', checkInTime: '19:00' }, now);
    expect(nextWake(s)).toEqual({ event: 'prompt', atMs: s.nextPromptAtMs });
    s.openPrompt = {
      localDate: '2030-03-03',
      deadlineMs: s.nextPromptAtMs,
      goalIds: [0],
      pendingGoalIds: [0],
      answers: {},
      nudgeAtMs: now + 60_000,
    };
    expect(nextWake(s)).toEqual({ event: 'nudge', atMs: now + 60_000 });
    s.openPrompt.nudgeAtMs = null;
    expect(nextWake(s)).toEqual({ event: 'day_end', atMs: s.nextPromptAtMs });
    s.status = 'erased';
    expect(nextWake(s)).toBeNull();
  });

  it('an unconfirmed member is never prompted or nudged; the reminder comes once', () => {
    const now = Date.parse('2030-03-04T12:00:00Z');
    const s = initialState(
      { memberId: 'm', timezone: 'America/New_York', checkInTime: '19:00', onboarding: true },
      now,
    );
    expect(nextWake(s)).toEqual({ event: 'onboarding_reminder', atMs: now + ONBOARDING_REMINDER_MS });
    s.onboarding!.reminded = true;
    expect(nextWake(s)).toBeNull();
  });
});
