/**
 * The per-phone daily cap rule (workflows/messaging/daily-cap.ts): examples, and a fast-check property over whole
 * days of traffic replayed through the rule the way the send gate and `sendMessage` use it (a held text asks
 * again at the instant the rule names).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  capResumeAfter,
  dailyCapDecision,
  DIRECT_REPLY_KINDS,
  isDirectReply,
} from '../../workflows/messaging/daily-cap.js';
import { loadConfig } from '../../worker/config.js';
import { keywordReply } from '../../workflows/lib/texts.js';
import { localDate } from '../../workflows/lib/time.js';

const NY = 'America/New_York';
const at = (iso: string) => Date.parse(iso);

describe('dailyCapDecision', () => {
  it('lets N texts out in a local day and holds the next one until 08:00 local the next day', () => {
    const now = at('2027-01-15T22:00:00Z'); // 17:00 in New York
    const sent = [at('2027-01-15T13:00:00Z'), at('2027-01-15T17:00:00Z')];
    expect(dailyCapDecision({ nowMs: now, timezone: NY, cap: 3, sentMs: sent, heldAhead: 0 })).toEqual({
      action: 'send',
    });
    expect(
      dailyCapDecision({ nowMs: now, timezone: NY, cap: 3, sentMs: [...sent, now - 1000], heldAhead: 0 }),
    ).toEqual({ action: 'defer', untilMs: at('2027-01-16T13:00:00Z') });
  });

  it("counts the recipient's local day, not the UTC day", () => {
    // 03:00 UTC on the 16th is 22:00 on the 15th in New York: yesterday's (UTC) texts still count.
    const now = at('2027-01-16T03:00:00Z');
    const sent = [at('2027-01-15T13:00:00Z'), at('2027-01-15T17:00:00Z'), at('2027-01-15T23:00:00Z')];
    expect(dailyCapDecision({ nowMs: now, timezone: NY, cap: 3, sentMs: sent, heldAhead: 0 }).action).toBe(
      'defer',
    );
    // In Berlin it is 04:00 on the 16th: a new day.
    expect(
      dailyCapDecision({ nowMs: now, timezone: 'Europe/Berlin', cap: 3, sentMs: sent, heldAhead: 0 }).action,
    ).toBe('send');
  });

  it('texts held earlier keep their place: a new text does not take it', () => {
    const now = at('2027-01-16T12:00:00Z'); // 07:00 New York, before the held texts resume
    expect(dailyCapDecision({ nowMs: now, timezone: NY, cap: 3, sentMs: [], heldAhead: 3 }).action).toBe(
      'defer',
    );
    expect(dailyCapDecision({ nowMs: now, timezone: NY, cap: 3, sentMs: [], heldAhead: 2 }).action).toBe(
      'send',
    );
  });

  it('resumes at 08:00 local across a daylight-saving change', () => {
    // 2027-03-14 is the US spring-forward day: 08:00 EDT is 12:00 UTC.
    expect(capResumeAfter(at('2027-03-14T03:00:00Z'), NY)).toBe(at('2027-03-14T12:00:00Z'));
    expect(capResumeAfter(at('2027-03-13T20:00:00Z'), NY)).toBe(at('2027-03-14T12:00:00Z'));
  });
});

describe('isDirectReply', () => {
  it('exempts keyword replies, replies addressed by their inbound text, and direct-reply kinds only', () => {
    expect(isDirectReply({ kind: 'opt_in_reply', keywordReply: true, to: { replyToInboundId: 1 } })).toBe(
      true,
    );
    expect(isDirectReply({ kind: 'crew_wrong_code', to: { replyToInboundId: 1 } })).toBe(true);
    expect(isDirectReply({ kind: 'sign_in_code', to: { memberId: 'm' } })).toBe(true);
    expect(isDirectReply({ kind: 'clarify', to: { memberId: 'm' } })).toBe(true);
    for (const kind of ['checkin_prompt', 'nudge', 'weekly_summary', 'crew_ask', 'welcome', 'campaign']) {
      expect(isDirectReply({ kind, to: { memberId: 'm' } }), kind).toBe(false);
      expect(DIRECT_REPLY_KINDS.has(kind)).toBe(false);
    }
  });
});

// ---- property: replay traffic through the rule ------------------------------------------------------------

interface Req {
  atMs: number;
  reply: boolean;
}

interface Outcome {
  sentAtMs: number | null;
  firstHeldAtMs: number | null;
}

/**
 * Replays the requests through the rule as the send gate does (serialised per number): a reply goes out at once;
 * another text goes out when the rule says `send`, else it asks again at the instant the rule names. `tieSeed`
 * orders texts that ask at the same instant (the workflows wake in no particular order).
 */
function replay(reqs: Req[], cap: number, timezone: string, tieSeed: number): Outcome[] {
  const out: Outcome[] = reqs.map(() => ({ sentAtMs: null, firstHeldAtMs: null }));
  const queue = reqs.map((r, i) => ({ t: r.atMs, i }));
  const tie = (i: number) => (i * 2_654_435_761 + tieSeed) % 1_000_003;
  for (let steps = 0; queue.length > 0; steps++) {
    if (steps > 10_000) throw new Error('the replay does not end');
    queue.sort((a, b) => a.t - b.t || tie(a.i) - tie(b.i));
    const { t, i } = queue.shift()!;
    if (reqs[i]!.reply) {
      out[i]!.sentAtMs = t;
      continue;
    }
    const sentMs = out.flatMap((o, j) =>
      j !== i && !reqs[j]!.reply && o.sentAtMs !== null ? [o.sentAtMs] : [],
    );
    const mine = out[i]!;
    const heldAhead = out.filter(
      (o, j) =>
        j !== i &&
        o.sentAtMs === null &&
        o.firstHeldAtMs !== null &&
        (mine.firstHeldAtMs === null ||
          o.firstHeldAtMs < mine.firstHeldAtMs ||
          (o.firstHeldAtMs === mine.firstHeldAtMs && j < i)),
    ).length;
    const d = dailyCapDecision({ nowMs: t, timezone, cap, sentMs, heldAhead });
    if (d.action === 'send') {
      mine.sentAtMs = t;
    } else {
      expect(d.untilMs).toBeGreaterThan(t);
      mine.firstHeldAtMs ??= t;
      queue.push({ t: d.untilMs, i });
    }
  }
  return out;
}

const ZONES = ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham'];
const FROM = at('2027-03-10T00:00:00Z'); // spans the US (03-14) and EU (03-28) daylight-saving changes
const SPAN = 20 * 24 * 3_600_000;

describe('property: the daily cap over any traffic', () => {
  it('never more than N non-reply texts in a local day, nothing dropped, replies never held, held texts keep their order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ atMs: fc.integer({ min: FROM, max: FROM + SPAN }), reply: fc.boolean() }), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(...ZONES),
        fc.nat(),
        (reqs, cap, tz, tieSeed) => {
          const out = replay(reqs, cap, tz, tieSeed);
          const perDay = new Map<string, number>();
          out.forEach((o, i) => {
            // nothing dropped: every text goes out
            expect(o.sentAtMs).not.toBeNull();
            if (reqs[i]!.reply) {
              expect(o.sentAtMs).toBe(reqs[i]!.atMs);
              return;
            }
            const day = localDate(o.sentAtMs!, tz);
            perDay.set(day, (perDay.get(day) ?? 0) + 1);
          });
          for (const n of perDay.values()) expect(n).toBeLessThanOrEqual(cap);
          // held texts: one held earlier never goes out on a later local day than one held after it
          const held = out
            .map((o, i) => ({ ...o, i }))
            .filter((o) => o.firstHeldAtMs !== null)
            .sort((a, b) => a.firstHeldAtMs! - b.firstHeldAtMs! || a.i - b.i);
          for (let k = 1; k < held.length; k++) {
            expect(localDate(held[k - 1]!.sentAtMs!, tz) <= localDate(held[k]!.sentAtMs!, tz)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('the opt-in text and the cap come from one value', () => {
  it('MAX_TEXTS_PER_DAY is the cap and the number the opt-in (START) text promises', () => {
    const config = loadConfig({ MAX_TEXTS_PER_DAY: '5' });
    expect(config.brand.textsPerDay).toBe(5);
    expect(keywordReply('opt_in', config.brand)).toContain('up to 5/day');
    const byDefault = loadConfig({});
    expect(byDefault.brand.textsPerDay).toBe(3);
    expect(keywordReply('opt_in', byDefault.brand)).toContain('up to 3/day');
  });

  it.each(['0', '11', 'three', '2.5'])('rejects MAX_TEXTS_PER_DAY=%s naming the variable', (value) => {
    expect(() => loadConfig({ MAX_TEXTS_PER_DAY: value })).toThrow(/MAX_TEXTS_PER_DAY/);
  });

  it('an opt-in text recorded before the setting existed (no textsPerDay) still reads "up to 3/day"', () => {
    expect(keywordReply('opt_in', { name: 'Crewline', support: 'help@crewline.app' })).toContain(
      'up to 3/day',
    );
  });
});
