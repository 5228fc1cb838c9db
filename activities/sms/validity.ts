/**
 * Twilio's `ValidityPeriod` for each send, derived from what the text is for: a text still queued at Twilio
 * (sender queue, carrier backlog) when it runs out fails with 30036 instead of arriving late. Pure.
 *
 * - replies to STOP/START/HELP: 15 minutes (a confirmation hours later is confusing);
 * - prompts and reminders (check-in prompt, nudge, welcome): 4 hours, and never past the recipient's local
 *   midnight (a prompt for today must not arrive tomorrow);
 * - answers to something the person just texted (acks, hints, clarifications): 1 hour;
 * - guest campaign texts (kind `campaign`): Twilio's longest, 36,000 s (its 10-hour queue), cut at the start of
 *   the guest's quiet hours below — the hold and the validity are the same window;
 * - anything else: 4 hours;
 * - whenever quiet hours apply (the purpose's window or the caller's stricter one): never past the window's end,
 *   so a queued text cannot land inside quiet hours.
 * Clamped to Twilio's range, at least 60 s and at most 36,000 s.
 */
import type { QuietHoursWindow } from '../../workflows/lib/compliance.js';
import { localMinutesOfDay, parseHHMM, startOfNextLocalDay } from '../../workflows/lib/time.js';

export const MAX_VALIDITY_S = 36_000;
export const MIN_VALIDITY_S = 60;

/** The `kind` of guest campaign texts (activities/campaigns.ts). */
export const CAMPAIGN_KIND = 'campaign';
const PROMPT_KINDS = new Set(['checkin_prompt', 'nudge', 'welcome', 'welcome_reminder']);
const ANSWER_KIND = /(_ack|_hint|_help|_rejected|_added|clarify|confirmed|_reply)$/;

export function validityPeriodSeconds(args: {
  kind: string;
  keywordReply?: boolean;
  nowMs: number;
  timezone: string;
  /** The quiet-hours window in force for this send (null = none). */
  window: QuietHoursWindow | null;
}): number {
  let s: number;
  if (args.keywordReply) s = 15 * 60;
  else if (PROMPT_KINDS.has(args.kind)) {
    s = 4 * 3600;
    s = Math.min(s, Math.floor((startOfNextLocalDay(args.nowMs, args.timezone) - args.nowMs) / 1000));
  } else if (ANSWER_KIND.test(args.kind)) s = 3600;
  else if (args.kind === CAMPAIGN_KIND) s = MAX_VALIDITY_S;
  else s = 4 * 3600;
  if (args.window && !args.keywordReply) {
    const start = parseHHMM(args.window.start);
    const end = parseHHMM(args.window.end);
    if (start && end) {
      const s0 = start.hour * 60 + start.minute;
      const e0 = end.hour * 60 + end.minute;
      const now = localMinutesOfDay(args.nowMs, args.timezone);
      if (s0 !== e0) {
        // Minutes left until the window closes (a window may wrap midnight).
        const left = (e0 - now + 24 * 60) % (24 * 60);
        s = Math.min(s, left * 60 - (Math.floor(args.nowMs / 1000) % 60));
      }
    }
  }
  return Math.max(MIN_VALIDITY_S, Math.min(MAX_VALIDITY_S, s));
}
