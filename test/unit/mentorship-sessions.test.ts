import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { localMinutesOfDay, localParts } from '../../workflows/lib/time.js';
import {
  nextIdleEvent,
  nextSessionEvent,
  parseFit,
  parseRating,
  sessionEvents,
  sessionProblem,
  type Session,
} from '../../workflows/mentorship-match/sessions.js';

const MIN = 60_000;
const H = 60 * MIN;
const DAY = 24 * H;
const NOW = Date.parse('2028-07-03T12:00:00Z'); // Monday 08:00 in New York
const NY = 'America/New_York';
const TUE = [{ weekday: 2, from: '18:00', to: '20:00' }];

const session = (over: Partial<Session> = {}): Session => ({
  number: 1,
  startsAtMs: Date.parse('2028-07-11T22:00:00Z'),
  minutes: 60,
  status: 'scheduled',
  reschedules: 0,
  armedAtMs: NOW,
  ratings: { mentor: null, mentee: null },
  noShowReportedBy: null,
  ...over,
});

describe('booking a session', () => {
  it("accepts a start inside the mentor's window in their zone, and refuses outside, too soon or too far", () => {
    expect(sessionProblem(Date.parse('2028-07-11T22:00:00Z'), 60, NOW, TUE, NY)).toBeNull();
    expect(sessionProblem(Date.parse('2028-07-11T23:00:00Z'), 60, NOW, TUE, NY)).toBeNull(); // 19:00–20:00
    expect(sessionProblem(Date.parse('2028-07-11T23:30:00Z'), 60, NOW, TUE, NY)).toMatch(/availability/);
    expect(sessionProblem(Date.parse('2028-07-12T22:00:00Z'), 60, NOW, TUE, NY)).toMatch(/availability/);
    expect(sessionProblem(NOW + 30 * MIN, 30, NOW, [], NY)).toMatch(/60 minutes ahead/);
    expect(sessionProblem(NOW + 61 * DAY, 30, NOW, [], NY)).toMatch(/within 60 days/);
    expect(sessionProblem(Number.NaN, 30, NOW, [], NY)).toMatch(/ISO/);
  });

  it('without windows, any daytime (08:00–21:00 the mentor’s time) fits and nothing else does', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: NOW + H, max: NOW + 59 * DAY }),
        fc.integer({ min: 15, max: 180 }),
        (start, minutes) => {
          const from = localMinutesOfDay(start, NY);
          const fits = from >= 8 * 60 && from + minutes <= 21 * 60;
          expect(sessionProblem(start, minutes, NOW, [], NY) === null).toBe(fits);
        },
      ),
    );
  });

  it('whatever fits lies inside one window on its weekday', () => {
    fc.assert(
      fc.property(fc.integer({ min: NOW + H, max: NOW + 59 * DAY }), (start) => {
        if (sessionProblem(start, 60, NOW, TUE, NY) !== null) return;
        expect(localParts(start, NY).weekday).toBe(2);
        const m = localMinutesOfDay(start, NY);
        expect(m).toBeGreaterThanOrEqual(18 * 60);
        expect(m + 60).toBeLessThanOrEqual(20 * 60);
      }),
    );
  });
});

describe('the events of a session', () => {
  it('24 h, 2 h (briefing) and 1 h before, and the check at its end; keys carry the reschedule count', () => {
    const s = session();
    expect(sessionEvents(s).map((e) => [e.kind, e.atMs - s.startsAtMs, e.key])).toEqual([
      ['remind24', -24 * H, 'session:1:v0:remind24'],
      ['briefing', -2 * H, 'session:1:v0:briefing'],
      ['remind1', -H, 'session:1:v0:remind1'],
      ['check', 60 * MIN, 'session:1:v0:check'],
    ]);
    expect(sessionEvents({ ...s, reschedules: 2 })[0]!.key).toBe('session:1:v2:remind24');
    expect(sessionEvents({ ...s, status: 'cancelled' })).toEqual([]);
    expect(sessionEvents({ ...s, status: 'held' })).toEqual([]);
  });

  it('a session booked 3 h ahead gets the briefing, the 1 h reminder and the check, never a past reminder', () => {
    fc.assert(
      fc.property(fc.integer({ min: H, max: 30 * DAY }), (lead) => {
        const s = session({ armedAtMs: NOW, startsAtMs: NOW + lead });
        for (const e of sessionEvents(s)) expect(e.atMs).toBeGreaterThanOrEqual(NOW);
        expect(sessionEvents(s).map((e) => e.kind)).toContain('check');
      }),
    );
  });

  it('the next event is the earliest not done, across sessions', () => {
    const a = session();
    const b = session({ number: 2, startsAtMs: a.startsAtMs - 3 * DAY });
    expect(nextSessionEvent([a, b], new Set())!.key).toBe('session:2:v0:remind24');
    const done = new Set(sessionEvents(b).map((e) => e.key));
    expect(nextSessionEvent([a, b], done)!.key).toBe('session:1:v0:remind24');
  });
});

describe('the inactivity clock', () => {
  it('runs from the last session held (or under way), not from one that did not happen; stops while one is booked', () => {
    const held = session({ status: 'held', startsAtMs: NOW + DAY });
    const noShow = session({ number: 2, status: 'no_show', startsAtMs: NOW + 8 * DAY });
    const later = NOW + 10 * DAY;
    expect(nextIdleEvent(NOW, [held, noShow], later, new Set())).toMatchObject({
      kind: 'nudge',
      anchorMs: NOW + DAY,
      atMs: NOW + 31 * DAY,
    });
    const ahead = session({ number: 3, startsAtMs: later + DAY });
    expect(nextIdleEvent(NOW, [held, ahead], later, new Set())).toBeNull();
    const done = new Set([`idle:${NOW + DAY}:nudge`]);
    expect(nextIdleEvent(NOW, [held], later, done)).toMatchObject({ kind: 'warn', atMs: NOW + 84 * DAY });
  });
});

describe('answers by SMS', () => {
  it('ratings: 1–4, 0 or "no" = did not happen, anything else is not understood', () => {
    expect(parseRating('4')).toBe(4);
    expect(parseRating(' 3 thanks')).toBe(3);
    expect(parseRating('0')).toBe('no_show');
    expect(parseRating('no, they never came')).toBe('no_show');
    expect(parseRating('5')).toBeNull();
    expect(parseRating('great')).toBeNull();
  });

  it('pairing fit: YES/FIT keeps the pair, NOT/NO asks for another mentor', () => {
    expect(parseFit('yes!')).toBe(true);
    expect(parseFit('Fit')).toBe(true);
    expect(parseFit('not a fit')).toBe(false);
    expect(parseFit('NOT FIT')).toBe(false);
    expect(parseFit('no')).toBe(false);
    expect(parseFit('maybe')).toBeNull();
  });
});
