/**
 * Send-time compliance policy: quiet hours in the recipient's time zone and frequency caps, per purpose, with
 * stricter regional rules (e.g. Florida's FTSA). Pure and deterministic: the `sendSms` activity evaluates it with
 * the server's clock, and tests evaluate it directly.
 *
 * Consent and suppression are facts from the database; they are checked by the activity before this runs.
 */
import { localParts, nextAllowedInstant, parseHHMM } from './time.js';

export type Purpose = 'transactional' | 'marketing';

export interface QuietHoursWindow {
  /** Sending allowed from `start` (inclusive) to `end` (exclusive), recipient's local time, "HH:MM". */
  start: string;
  end: string;
}

export interface PurposePolicy {
  /** null = no quiet hours (e.g. a check-in at the time the member chose). */
  window: QuietHoursWindow | null;
  /** At most this many messages of this purpose to one number in any rolling 24 hours; null = no cap. */
  maxPer24h: number | null;
}

export interface RegionalRule {
  name: string;
  /** North American area codes the rule presumes the recipient lives in. */
  areaCodes: readonly string[];
  policies: Partial<Record<Purpose, Partial<PurposePolicy>>>;
}

export interface CompliancePolicy {
  purposes: Record<Purpose, PurposePolicy>;
  regional: readonly RegionalRule[];
}

/** Florida Telephone Solicitation Act: 08:00–20:00 and at most 3 marketing texts per 24 h. */
export const FLORIDA: RegionalRule = {
  name: 'US-FL (FTSA)',
  areaCodes: [
    '239',
    '305',
    '321',
    '324',
    '352',
    '386',
    '407',
    '448',
    '561',
    '645',
    '656',
    '689',
    '727',
    '728',
    '754',
    '772',
    '786',
    '813',
    '850',
    '863',
    '904',
    '941',
    '954',
  ],
  policies: { marketing: { window: { start: '08:00', end: '20:00' }, maxPer24h: 3 } },
};

/**
 * Defaults: marketing only 08:00–21:00 local (TCPA); transactional messages (a check-in at the member's chosen
 * time, replies to their own texts, opt-out confirmations) have no quiet hours. Nudges pass their own window.
 */
export const DEFAULT_POLICY: CompliancePolicy = {
  purposes: {
    transactional: { window: null, maxPer24h: null },
    marketing: { window: { start: '08:00', end: '21:00' }, maxPer24h: null },
  },
  regional: [FLORIDA],
};

export function northAmericanAreaCode(phone: string): string | null {
  const m = /^\+1(\d{3})\d{7}$/.exec(phone);
  return m ? m[1]! : null;
}

/** The purpose policy for this number: the default, narrowed by every regional rule that applies. */
export function effectivePolicy(
  policy: CompliancePolicy,
  purpose: Purpose,
  phone: string,
): PurposePolicy & { rules: string[] } {
  let { window, maxPer24h } = policy.purposes[purpose];
  const rules: string[] = [];
  const areaCode = northAmericanAreaCode(phone);
  for (const rule of policy.regional) {
    if (!areaCode || !rule.areaCodes.includes(areaCode)) continue;
    const p = rule.policies[purpose];
    if (!p) continue;
    rules.push(rule.name);
    if (p.window) window = window ? intersect(window, p.window) : p.window;
    if (p.maxPer24h != null) maxPer24h = maxPer24h == null ? p.maxPer24h : Math.min(maxPer24h, p.maxPer24h);
  }
  return { window, maxPer24h, rules };
}

function minutes(hhmm: string): number {
  const p = parseHHMM(hhmm);
  if (!p) throw new RangeError(`not "HH:MM": ${hhmm}`);
  return p.hour * 60 + p.minute;
}

/** Intersection of two same-day windows (neither wraps midnight in our policies). */
function intersect(a: QuietHoursWindow, b: QuietHoursWindow): QuietHoursWindow {
  return {
    start: minutes(a.start) >= minutes(b.start) ? a.start : b.start,
    end: minutes(a.end) <= minutes(b.end) ? a.end : b.end,
  };
}

export type TimingDecision =
  { action: 'send' } | { action: 'defer'; untilMs: number; reason: 'quiet_hours' | 'frequency_cap' };

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * When may a message go out? `recentSendsMs` are the send instants of earlier messages of the same purpose to the
 * same number (any order). Returns `send`, or the first instant at which both the window and the cap allow it.
 */
export function evaluateTiming(args: {
  nowMs: number;
  timezone: string;
  phone: string;
  purpose: Purpose;
  recentSendsMs: readonly number[];
  policy?: CompliancePolicy;
}): TimingDecision {
  const { window, maxPer24h } = effectivePolicy(args.policy ?? DEFAULT_POLICY, args.purpose, args.phone);
  const sends = [...args.recentSendsMs].sort((a, b) => a - b);
  let at = args.nowMs;
  let reason: 'quiet_hours' | 'frequency_cap' | null = null;
  for (let i = 0; i < 10; i++) {
    let moved = false;
    if (maxPer24h != null) {
      const inWindow = sends.filter((s) => s > at - DAY_MS && s <= at);
      if (inWindow.length >= maxPer24h) {
        // Wait until enough of them have left the rolling 24 h.
        at = inWindow[inWindow.length - maxPer24h]! + DAY_MS;
        reason ??= 'frequency_cap';
        moved = true;
      }
    }
    if (window) {
      const allowed = nextAllowedInstant(at, args.timezone, window);
      if (allowed !== at) {
        at = allowed;
        reason ??= 'quiet_hours';
        moved = true;
      }
    }
    if (!moved) break;
  }
  return at === args.nowMs || reason === null ? { action: 'send' } : { action: 'defer', untilMs: at, reason };
}

/** For logs and operator views: the local time an instant falls on. */
export function describeLocal(instantMs: number, tz: string): string {
  const p = localParts(instantMs, tz);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)} ${tz}`;
}
