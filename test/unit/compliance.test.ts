import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  effectivePolicy,
  evaluateTiming,
  FLORIDA,
  type Purpose,
  type TimingDecision,
} from '../../workflows/lib/compliance.js';

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const KOLKATA = 'Asia/Kolkata';
const TOKYO = 'Asia/Tokyo';
const HOUR = 3_600_000;

/** A California number (no regional rule) and a Miami number (Florida, FTSA). */
const CA_PHONE = '+14155550100';
const FL_PHONE = '+13055550100';

const at = (iso: string): number => {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new Error(`bad ISO ${iso}`);
  return ms;
};

function timing(
  nowIso: string,
  timezone: string,
  opts: { phone?: string; purpose?: Purpose; sends?: string[] } = {},
): TimingDecision {
  return evaluateTiming({
    nowMs: at(nowIso),
    timezone,
    phone: opts.phone ?? CA_PHONE,
    purpose: opts.purpose ?? 'marketing',
    recentSendsMs: (opts.sends ?? []).map(at),
  });
}

/** The instant a deferred message may go out, as a UTC ISO string; 'send' when it may go now. */
function outcome(d: TimingDecision): string {
  return d.action === 'send' ? 'send' : new Date(d.untilMs).toISOString();
}

describe('marketing quiet hours (08:00–21:00 local by default)', () => {
  it.each([
    // zone, 02:00 local as UTC, 08:00 local the same day as UTC
    [NY, '2027-01-15T07:00:00.000Z', '2027-01-15T13:00:00.000Z'], // EST, UTC-5
    [NY, '2027-07-15T06:00:00.000Z', '2027-07-15T12:00:00.000Z'], // EDT, UTC-4
    [BERLIN, '2027-01-15T01:00:00.000Z', '2027-01-15T07:00:00.000Z'], // CET, UTC+1
    [BERLIN, '2027-07-15T00:00:00.000Z', '2027-07-15T06:00:00.000Z'], // CEST, UTC+2
    [KOLKATA, '2027-01-14T20:30:00.000Z', '2027-01-15T02:30:00.000Z'], // IST, UTC+5:30
    [TOKYO, '2027-01-14T17:00:00.000Z', '2027-01-14T23:00:00.000Z'], // JST, UTC+9
  ])('%s: 02:00 local (%s) defers to 08:00 local (%s)', (tz, now, expected) => {
    const d = timing(now, tz);
    expect(d).toEqual({ action: 'defer', untilMs: at(expected), reason: 'quiet_hours' });
  });

  it.each([
    // US spring forward 2027-03-14: 02:00 EST → 03:00 EDT at 07:00Z; 08:00 EDT = 12:00Z.
    ['NY spring-forward, 01:30 EST', NY, '2027-03-14T06:30:00Z', '2027-03-14T12:00:00.000Z'],
    [
      'NY spring-forward, 03:00 EDT (02:00 does not exist)',
      NY,
      '2027-03-14T07:00:00Z',
      '2027-03-14T12:00:00.000Z',
    ],
    ['NY spring-forward eve, 21:30 EST', NY, '2027-03-14T02:30:00Z', '2027-03-14T12:00:00.000Z'],
    // US fall back 2027-11-07: 02:00 EDT → 01:00 EST at 06:00Z; 08:00 EST = 13:00Z.
    ['NY fall-back, first 01:30 (EDT)', NY, '2027-11-07T05:30:00Z', '2027-11-07T13:00:00.000Z'],
    ['NY fall-back, second 01:30 (EST)', NY, '2027-11-07T06:30:00Z', '2027-11-07T13:00:00.000Z'],
    ['NY fall-back, 02:00 EST', NY, '2027-11-07T07:00:00Z', '2027-11-07T13:00:00.000Z'],
    ['NY fall-back eve, 21:00 EDT', NY, '2027-11-07T01:00:00Z', '2027-11-07T13:00:00.000Z'],
    // Berlin spring forward 2027-03-28: 02:00 CET → 03:00 CEST at 01:00Z; 08:00 CEST = 06:00Z.
    ['Berlin spring-forward, 01:30 CET', BERLIN, '2027-03-28T00:30:00Z', '2027-03-28T06:00:00.000Z'],
    ['Berlin spring-forward, 03:30 CEST', BERLIN, '2027-03-28T01:30:00Z', '2027-03-28T06:00:00.000Z'],
    // Berlin fall back 2027-10-31: 03:00 CEST → 02:00 CET at 01:00Z; 08:00 CET = 07:00Z.
    ['Berlin fall-back, first 02:30 (CEST)', BERLIN, '2027-10-31T00:30:00Z', '2027-10-31T07:00:00.000Z'],
    ['Berlin fall-back, second 02:30 (CET)', BERLIN, '2027-10-31T01:30:00Z', '2027-10-31T07:00:00.000Z'],
  ])('%s defers to 08:00 local at %s', (_name, tz, now, expected) => {
    expect(outcome(timing(now, tz))).toBe(expected);
  });

  it('21:00 exactly is outside (next day 08:00); 20:59 and 20:59:59 are inside', () => {
    // 2027-01-15 21:00 EST = 2027-01-16T02:00Z; next 08:00 EST = 2027-01-16T13:00Z.
    expect(outcome(timing('2027-01-16T02:00:00Z', NY))).toBe('2027-01-16T13:00:00.000Z');
    expect(outcome(timing('2027-01-16T01:59:00Z', NY))).toBe('send');
    expect(outcome(timing('2027-01-16T01:59:59Z', NY))).toBe('send');
    // Same on the fall-back day, where the evening runs on the new offset (21:00 EST = 02:00Z next day).
    expect(outcome(timing('2027-11-08T02:00:00Z', NY))).toBe('2027-11-08T13:00:00.000Z');
    expect(outcome(timing('2027-11-08T01:59:00Z', NY))).toBe('send');
    // Berlin: 21:00 CET on 2027-01-15 = 20:00Z.
    expect(outcome(timing('2027-01-15T20:00:00Z', BERLIN))).toBe('2027-01-16T07:00:00.000Z');
    expect(outcome(timing('2027-01-15T19:59:00Z', BERLIN))).toBe('send');
  });

  it('08:00 exactly is inside, 07:59 waits one minute', () => {
    expect(outcome(timing('2027-01-15T13:00:00Z', NY))).toBe('send');
    expect(outcome(timing('2027-01-15T12:59:00Z', NY))).toBe('2027-01-15T13:00:00.000Z');
  });

  it('transactional messages have no quiet hours by default (a check-in at 02:00 goes out)', () => {
    for (const [tz, now] of [
      [NY, '2027-01-15T07:00:00Z'],
      [BERLIN, '2027-03-28T01:30:00Z'],
      [TOKYO, '2027-01-14T17:00:00Z'],
    ] as const) {
      expect(timing(now, tz, { purpose: 'transactional' })).toEqual({ action: 'send' });
      expect(timing(now, tz, { purpose: 'transactional', phone: FL_PHONE })).toEqual({ action: 'send' });
    }
    expect(DEFAULT_POLICY.purposes.transactional).toEqual({ window: null, maxPer24h: null });
  });
});

describe('Florida (FTSA): 08:00–20:00 and at most 3 marketing texts per rolling 24 h', () => {
  it('effectivePolicy narrows marketing for Florida area codes only', () => {
    expect(effectivePolicy(DEFAULT_POLICY, 'marketing', FL_PHONE)).toEqual({
      window: { start: '08:00', end: '20:00' },
      maxPer24h: 3,
      rules: [FLORIDA.name],
    });
    for (const phone of ['+17865550100', '+19545550100', '+18135550100']) {
      expect(effectivePolicy(DEFAULT_POLICY, 'marketing', phone).maxPer24h).toBe(3);
    }
    expect(effectivePolicy(DEFAULT_POLICY, 'marketing', CA_PHONE)).toEqual({
      window: { start: '08:00', end: '21:00' },
      maxPer24h: null,
      rules: [],
    });
    // Not a North American number, even though the digits start with 305.
    expect(effectivePolicy(DEFAULT_POLICY, 'marketing', '+3055550100').rules).toEqual([]);
    expect(effectivePolicy(DEFAULT_POLICY, 'transactional', FL_PHONE)).toEqual({
      window: null,
      maxPer24h: null,
      rules: [],
    });
  });

  it('20:00 is already quiet in Florida (next day 08:00) while 20:30 is fine elsewhere', () => {
    // 2027-01-15 20:00 EST = 2027-01-16T01:00Z.
    expect(timing('2027-01-16T01:00:00Z', NY, { phone: FL_PHONE })).toEqual({
      action: 'defer',
      untilMs: at('2027-01-16T13:00:00Z'),
      reason: 'quiet_hours',
    });
    expect(outcome(timing('2027-01-16T00:59:00Z', NY, { phone: FL_PHONE }))).toBe('send');
    expect(outcome(timing('2027-01-16T01:30:00Z', NY, { phone: CA_PHONE }))).toBe('send');
    expect(outcome(timing('2027-01-15T12:30:00Z', NY, { phone: FL_PHONE }))).toBe('2027-01-15T13:00:00.000Z');
  });

  // 2027-01-15 09:00, 10:00 and 11:00 EST.
  const three = ['2027-01-15T14:00:00Z', '2027-01-15T15:00:00Z', '2027-01-15T16:00:00Z'];

  it('the 4th marketing text in 24 h waits until the first one is 24 h old; the 3rd goes at once', () => {
    const fourth = timing('2027-01-15T17:00:00Z', NY, { phone: FL_PHONE, sends: three });
    expect(fourth).toEqual({ action: 'defer', untilMs: at('2027-01-16T14:00:00Z'), reason: 'frequency_cap' });
    // Order of the recorded sends does not matter.
    const shuffled = [three[2]!, three[0]!, three[1]!];
    expect(outcome(timing('2027-01-15T17:00:00Z', NY, { phone: FL_PHONE, sends: shuffled }))).toBe(
      '2027-01-16T14:00:00.000Z',
    );
    expect(outcome(timing('2027-01-15T17:00:00Z', NY, { phone: FL_PHONE, sends: three.slice(1) }))).toBe(
      'send',
    );
    // At the instant it was deferred to, the same history lets it go.
    expect(outcome(timing('2027-01-16T14:00:00Z', NY, { phone: FL_PHONE, sends: three }))).toBe('send');
    expect(outcome(timing('2027-01-16T13:59:59Z', NY, { phone: FL_PHONE, sends: three }))).toBe(
      '2027-01-16T14:00:00.000Z',
    );
  });

  it('a non-Florida number has no cap', () => {
    const ten = Array.from({ length: 10 }, (_, i) => new Date(at('2027-01-15T13:00:00Z') + i * 10 * 60_000));
    expect(
      timing('2027-01-15T17:00:00Z', NY, { phone: CA_PHONE, sends: ten.map((d) => d.toISOString()) }),
    ).toEqual({ action: 'send' });
  });

  it('only the rolling 24 h count: a send exactly 24 h ago no longer does', () => {
    const sends = ['2027-01-14T17:00:00Z', '2027-01-15T14:00:00Z', '2027-01-15T15:00:00Z'];
    expect(outcome(timing('2027-01-15T17:00:00Z', NY, { phone: FL_PHONE, sends }))).toBe('send');
    expect(outcome(timing('2027-01-15T16:59:00Z', NY, { phone: FL_PHONE, sends }))).toBe(
      '2027-01-15T17:00:00.000Z',
    );
    // Many older sends do not matter either.
    const old = Array.from({ length: 20 }, (_, i) => new Date(at('2027-01-10T14:00:00Z') + i * HOUR));
    expect(
      outcome(
        timing('2027-01-15T17:00:00Z', NY, {
          phone: FL_PHONE,
          sends: [...old.map((d) => d.toISOString()), '2027-01-15T15:00:00Z'],
        }),
      ),
    ).toBe('send');
  });

  it('when first+24h falls outside 08:00–20:00 it moves to the next window start', () => {
    // Sends at 06:00 (before the window, e.g. sent under an older policy), 09:00 and 10:00 EST.
    const early = ['2027-01-15T11:00:00Z', '2027-01-15T14:00:00Z', '2027-01-15T15:00:00Z'];
    const d = timing('2027-01-15T16:00:00Z', NY, { phone: FL_PHONE, sends: early });
    // first + 24 h = 2027-01-16 06:00 EST → 08:00 EST = 13:00Z.
    expect(d).toEqual({ action: 'defer', untilMs: at('2027-01-16T13:00:00Z'), reason: 'frequency_cap' });

    // Across the spring-forward night: 19:30, 19:40, 19:50 EST on 2027-03-13. 24 h later the clock reads
    // 20:30 EDT (the day had 23 hours), which is past 20:00 → 2027-03-15 08:00 EDT = 12:00Z.
    const evening = ['2027-03-14T00:30:00Z', '2027-03-14T00:40:00Z', '2027-03-14T00:50:00Z'];
    expect(timing('2027-03-14T14:00:00Z', NY, { phone: FL_PHONE, sends: evening })).toEqual({
      action: 'defer',
      untilMs: at('2027-03-15T12:00:00Z'),
      reason: 'frequency_cap',
    });
  });

  it('quiet hours first, then the cap: at 02:00 with three sends in the last 24 h', () => {
    // Sends at 2027-01-14 09:00, 10:00, 11:00 EST; now 2027-01-15 02:00 EST (07:00Z): the window opens at
    // 08:00 (13:00Z), but the cap only frees a slot at 09:00 (14:00Z).
    const sends = ['2027-01-14T14:00:00Z', '2027-01-14T15:00:00Z', '2027-01-14T16:00:00Z'];
    expect(timing('2027-01-15T07:00:00Z', NY, { phone: FL_PHONE, sends })).toEqual({
      action: 'defer',
      untilMs: at('2027-01-15T14:00:00Z'),
      reason: 'frequency_cap',
    });
  });
});
