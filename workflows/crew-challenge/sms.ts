/**
 * The crew's daily question by SMS and the replies to it (pure): when each member is asked (the crew's prompt
 * time in the member's own zone, once per challenge day, never for a day already over or already answered),
 * which day a reply answers, and the replies waiting to be handled (deduplicated on the inbound id: Twilio and
 * the inbox drainer may deliver one twice).
 */
import type { InboundReply } from '../lib/conversation.js';
import { addDays, localDate, parseHHMM, zonedTimeToUtc } from '../lib/time.js';
import { LATE_GRACE_MS, type CrewChallengeInput, type PulseAnswerInput } from './definitions.js';
import { cellKey } from './pulse.js';
import { dayEndMs } from './rules.js';
import { currentMembers, type ChallengeState } from './state.js';

/** The crew's default prompt time when the challenge names none. */
export const DEFAULT_PROMPT_TIME = '19:00';
/** The crew question's conversation expectation (`accepts`). */
export const CREW_PULSE_ACCEPTS = 'crew_pulse';
/** The crew's question is sent only inside this local window (the member did not choose its time). */
export const ASK_WINDOW = { start: '08:00', end: '21:00' } as const;
/** Inbound ids remembered for deduplication. */
const RECENT_KEPT = 50;

export interface CrewSmsState {
  /** memberId → the next 0-based day to ask about. */
  asked: Record<string, number>;
  pendingReplies: InboundReply[];
  recentInboundIds: number[];
}

/** The SMS part of the state (absent from states carried by runs that predate it). */
export function smsState(s: ChallengeState): CrewSmsState {
  s.sms ??= { asked: {}, pendingReplies: [], recentInboundIds: [] };
  return s.sms;
}

export interface Ask {
  memberId: string;
  /** 0-based challenge day. */
  day: number;
  atMs: number;
  /** The question's expectation lasts as long as an answer for that day can count. */
  untilMs: number;
}

/** The instant a member is asked about `day`: the crew's prompt time on that local date in their zone. */
export function askAt(s: ChallengeState, timezone: string, day: number, promptTime: string): number {
  const hhmm = parseHHMM(promptTime) ?? parseHHMM(DEFAULT_PROMPT_TIME)!;
  return zonedTimeToUtc(addDays(s.startDate, day), hhmm.hour, hhmm.minute, timezone);
}

/**
 * Each current member's next question: the first day from the one not yet asked that has not ended in their zone
 * and that they have not answered (by API) yet. Only while the challenge is active. Sorted by instant.
 */
export function nextAsks(
  s: ChallengeState,
  input: Pick<CrewChallengeInput, 'days' | 'promptTime'>,
  nowMs: number,
  only: (memberId: string) => boolean = () => true,
): Ask[] {
  if (s.status !== 'active') return [];
  const sms = smsState(s);
  const asks: Ask[] = [];
  for (const m of currentMembers(s)) {
    if (!only(m.memberId)) continue;
    let day = sms.asked[m.memberId] ?? 0;
    while (
      day < input.days &&
      (dayEndMs(s, m.timezone, day) <= nowMs || s.answers[cellKey({ memberId: m.memberId, day })])
    )
      day++;
    if (day >= input.days) continue;
    asks.push({
      memberId: m.memberId,
      day,
      atMs: askAt(s, m.timezone, day, input.promptTime ?? DEFAULT_PROMPT_TIME),
      untilMs: dayEndMs(s, m.timezone, day) + LATE_GRACE_MS,
    });
  }
  return asks.sort((a, b) => a.atMs - b.atMs || (a.memberId < b.memberId ? -1 : 1));
}

/** The member was asked about `day` (or it was skipped): the next question is for a later day. */
export function markAsked(s: ChallengeState, memberId: string, day: number): void {
  smsState(s).asked[memberId] = day + 1;
}

/**
 * The local date a reply answers: "yesterday …" → the member's local yesterday; otherwise the latest day the
 * member was asked about, or their local today when never asked. The validator then checks it is inside the
 * challenge and its grace.
 */
export function answerDate(
  s: ChallengeState,
  memberId: string,
  timezone: string,
  forYesterday: boolean,
  nowMs: number,
): string {
  const today = localDate(nowMs, timezone);
  if (forYesterday) return addDays(today, -1);
  const next = smsState(s).asked[memberId];
  return next === undefined || next === 0 ? today : addDays(s.startDate, next - 1);
}

/** Queued once per inbound id (a redelivery is dropped); false when it was a duplicate. */
export function queueReply(s: ChallengeState, r: InboundReply): boolean {
  const sms = smsState(s);
  if (
    sms.recentInboundIds.includes(r.inboundId) ||
    sms.pendingReplies.some((p) => p.inboundId === r.inboundId)
  )
    return false;
  sms.pendingReplies.push(r);
  return true;
}

/** The next reply to handle, remembered as handled. */
export function takeReply(s: ChallengeState): InboundReply | undefined {
  const sms = smsState(s);
  const r = sms.pendingReplies.shift();
  if (r) sms.recentInboundIds = [...sms.recentInboundIds, r.inboundId].slice(-RECENT_KEPT);
  return r;
}

// ---- the question riding on the member's own texts (runs with `crew-prompt-rides-checkin`) ---------------------
//
// The challenge no longer texts its question itself: it tells each current member's workflow which days it asks
// about (`crewQuestions`, once when the member is in and the challenge active, once more when they leave or it
// ends); the member workflow puts it on its own check-in prompt, or on one crew text a day, and signals back the
// member's answer (`crewAnswer`, keyed by the inbound id). A member whose workflow cannot be reached (none
// running) is asked by the challenge itself, as before (`selfAsked`).

/** A member's answer as their member workflow split it from a reply. */
export type RiddenAnswer = PulseAnswerInput & { key: string };

export interface RiddenState {
  /** memberId → their member workflow was told of the question (true) or that it ended (false). */
  enrolled: Record<string, boolean>;
  /** Members whose member workflow could not be reached: the challenge asks them itself (as before). */
  selfAsked: Record<string, true>;
  pending: RiddenAnswer[];
  /** `<key>|<memberId>` of answers handled lately (a signal redelivered after a retry counts once). */
  keys: string[];
  /**
   * Members whose member workflow was not reachable when last told of the question (runs with
   * `crew-day-batched`): nothing to tell when it ends for them. Absent in states of runs that predate it.
   */
  unreached?: Record<string, true>;
}

export function riddenState(s: ChallengeState): RiddenState {
  s.ridden ??= { enrolled: {}, selfAsked: {}, pending: [], keys: [] };
  return s.ridden;
}

/** The members whose member workflow was not reachable when last told of the question. */
export function unreached(r: RiddenState): Record<string, true> {
  r.unreached ??= {};
  return r.unreached;
}

/**
 * The member workflows to tell: current members of an active challenge not yet told (enrol), and those told
 * who left or whose challenge is over (`ending`) (end). In member id order.
 */
export function enrolmentChanges(
  s: ChallengeState,
  ending: boolean,
): Array<{ memberId: string; enrol: boolean }> {
  const r = riddenState(s);
  return Object.values(s.members)
    .map((m) => ({
      memberId: m.memberId,
      want: !ending && s.status === 'active' && m.leftAtMs === null,
      has: r.enrolled[m.memberId] ?? false,
    }))
    .filter((x) => x.want !== x.has)
    .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
    .map((x) => ({ memberId: x.memberId, enrol: x.want }));
}

const answerKey = (a: Pick<RiddenAnswer, 'key' | 'memberId'>) => `${a.key}|${a.memberId}`;

/** Queued once per key and member (a duplicate is dropped); false when it was one. */
export function queueRiddenAnswer(s: ChallengeState, a: RiddenAnswer): boolean {
  const r = riddenState(s);
  const k = answerKey(a);
  if (r.keys.includes(k) || r.pending.some((p) => answerKey(p) === k)) return false;
  r.pending.push(a);
  return true;
}

/** The next answer to count, remembered as handled. */
export function takeRiddenAnswer(s: ChallengeState): RiddenAnswer | undefined {
  const r = riddenState(s);
  const a = r.pending.shift();
  if (a) r.keys = [...r.keys, answerKey(a)].slice(-RECENT_KEPT * 4);
  return a;
}

/**
 * Whether the challenge still asks a member itself: everyone in runs from before the question rode, else only
 * those whose member workflow could not be reached.
 */
export function asksItself(s: ChallengeState, memberId: string, rides: boolean): boolean {
  return !rides || riddenState(s).selfAsked[memberId] === true;
}
