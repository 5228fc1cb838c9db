/**
 * The crews' daily questions in the member's own texts (pure): one text per member per day.
 *
 * Each running crew challenge the member is in tells the member workflow once (signal `crewQuestions`) which
 * local days it asks about (its start date and length) and at what time it would ask on its own. Then:
 * - On a day the member gets their check-in prompt, every crew due that day rides on it (one text).
 * - On a day without a check-in (paused, nothing due, already prompted before the crew joined), the crews due
 *   get ONE merged crew text at the earliest crew time (inside 08:00–21:00 local), never a second one that day.
 * - The reply is parsed once and split back to each crew (`splitCrewReply`), the grammar:
 *
 *       reply     := [ "yesterday" ] answer { override }
 *       answer    := the usual check-in reply ("Y", "N tired", "Y 4 walked with Sam", "1 Y 2 N")
 *       override  := LETTER ( Y | N | YES | NO ) [ 1–5 ]      (A = the first crew listed, B = the second…)
 *
 *   Every crew listed takes the answer's Y/N, energy and note; an override ("Y B N") changes one crew only.
 *   A reply with overrides only ("A Y B N") answers the crews and leaves the check-in open.
 */
import {
  addDays,
  localDate,
  nextAllowedInstant,
  parseHHMM,
  startOfNextLocalDay,
  zonedTimeToUtc,
} from '../lib/time.js';
import { parseCrewAnswer } from '../crew-challenge/answers.js';
import type { CrewQuestions } from './definitions.js';
import { dueOn } from './goals.js';
import { activeGoals, isPausedOn, type MemberState } from './state.js';

/** The crew-only text goes out only inside this local window (the member did not choose its time). */
export const CREW_ASK_WINDOW = { start: '08:00', end: '21:00' } as const;
/** At most this many crews are listed in one text: the first by challenge id (a 4th crew of a member is not asked by SMS). */
export const MAX_CREWS_PER_TEXT = 3;
/** The conversation expectation of a crew-only text (the reply still comes to the member workflow). */
export const CREW_ONLY_ACCEPTS = 'crew_pulse';
const FALLBACK_TIME = { hour: 19, minute: 0 } as const;
const LETTERS = 'ABCDEFGHIJ';

/** The crew part of the member state (absent in states of runs that predate it). */
export interface MemberCrewState {
  /** challengeId → what it asks. */
  crews: Record<string, Omit<CrewQuestions, 'challengeId' | 'ended'>>;
  /** The last local date crews were asked about (with the check-in or on their own): at most one text a day. */
  askedDate: string | null;
  /**
   * The last two texts' crews, in the order listed (A, B, …), and for which local date (the newest last): a
   * reply answers the newest; "yesterday …" answers yesterday's even after today's question went out.
   */
  recentAsks: Array<{ localDate: string; challengeIds: string[] }>;
}

export function crewState(s: MemberState): MemberCrewState {
  s.crew ??= { crews: {}, askedDate: null, recentAsks: [] };
  return s.crew;
}

/** A challenge's `crewQuestions` signal: enrolled, or removed when it ended or the member left. */
export function applyCrewQuestions(s: MemberState, q: CrewQuestions): void {
  const c = crewState(s);
  if (q.ended) delete c.crews[q.challengeId];
  else
    c.crews[q.challengeId] = {
      title: q.title,
      startDate: q.startDate,
      days: q.days,
      promptTime: q.promptTime,
    };
}

/** The crews asking about local `day`, in a stable order (by challenge id), at most MAX_CREWS_PER_TEXT. */
export function crewsDueOn(s: MemberState, day: string): string[] {
  const crews = s.crew?.crews ?? {};
  return Object.keys(crews)
    .filter((id) => {
      const c = crews[id]!;
      return c.startDate <= day && day < addDays(c.startDate, c.days);
    })
    .sort()
    .slice(0, MAX_CREWS_PER_TEXT);
}

/** Whether the member's own check-in prompt is still to come on local `day` (crews then ride on it). */
export function checkInStillComes(s: MemberState, day: string): boolean {
  return (
    s.status === 'active' &&
    !isPausedOn(s, day) &&
    (s.lastPromptDate === null || s.lastPromptDate < day) &&
    dueOn(activeGoals(s), day).length > 0
  );
}

/**
 * The next crew-only text: the first local day (from `fromMs`'s) not yet asked about, with crews due and no
 * check-in to ride on, at the earliest crew time of that day moved into the window — or null. Only for an
 * active member (opted out: nothing; paused: yes, the crews still ask).
 */
export function nextCrewOnlyAsk(s: MemberState, fromMs: number): { atMs: number; localDate: string } | null {
  const c = s.crew;
  if (!c || Object.keys(c.crews).length === 0 || s.status !== 'active') return null;
  const last = Object.values(c.crews).reduce((max, q) => {
    const end = addDays(q.startDate, q.days);
    return end > max ? end : max;
  }, '');
  for (let day = localDate(fromMs, s.timezone); day < last; day = addDays(day, 1)) {
    if (c.askedDate !== null && day <= c.askedDate) continue;
    const due = crewsDueOn(s, day);
    if (due.length === 0 || checkInStillComes(s, day)) continue;
    const at = Math.min(
      ...due.map((id) => {
        const t = parseHHMM(c.crews[id]!.promptTime) ?? FALLBACK_TIME;
        return zonedTimeToUtc(day, t.hour, t.minute, s.timezone);
      }),
    );
    const allowed = nextAllowedInstant(Math.max(at, fromMs), s.timezone, CREW_ASK_WINDOW);
    if (localDate(allowed, s.timezone) === day) return { atMs: allowed, localDate: day };
  }
  return null;
}

/** The crews asked about `day` (with the check-in or on their own): no other crew text that day. */
export function markCrewsAsked(s: MemberState, day: string, challengeIds: string[]): void {
  const c = crewState(s);
  c.askedDate = day;
  c.recentAsks = [...c.recentAsks.filter((a) => a.localDate !== day), { localDate: day, challengeIds }].slice(
    -2,
  );
}

/** The titles of the crews listed, in order (for the texts). */
export function crewTitles(s: MemberState, challengeIds: readonly string[]): string[] {
  return challengeIds.map((id) => s.crew?.crews[id]?.title ?? 'your crew');
}

export interface CrewAnswerOut {
  challengeId: string;
  localDate: string;
  done: boolean;
  energy: number | null;
  reflection: string | null;
}

/**
 * A reply split back to the crews of the last crew question: each crew's answer (the overall one, or its
 * override) and the rest of the text for the check-in. Answers only while the last ask is today's or
 * yesterday's (the challenge checks its own grace); "yesterday …" answers yesterday's ask only.
 */
export function splitCrewReply(
  s: MemberState,
  body: string,
  nowMs: number,
): { answers: CrewAnswerOut[]; rest: string } {
  const asks = s.crew?.recentAsks ?? [];
  if (asks.length === 0) return { answers: [], rest: body };
  // The letters follow the newest text (a "yesterday" reply after today's text names today's letters too).
  const ask = asks.at(-1)!;
  const letters = LETTERS.slice(0, ask.challengeIds.length);
  const overrides = new Map<number, { done: boolean; energy: number | null }>();
  const re = new RegExp(
    `(^|[\\s,;.])([${letters}])\\s*[:=]?\\s*(yes|no|y|n)(?:\\s*([1-5]))?(?![\\p{L}\\p{N}])`,
    'giu',
  );
  const rest = body
    .replace(re, (_m, pre: string, letter: string, yn: string, energy: string | undefined) => {
      overrides.set(letters.indexOf(letter.toUpperCase()), {
        done: yn.toLowerCase().startsWith('y'),
        energy: energy ? Number(energy) : null,
      });
      return pre;
    })
    .replace(/^[\s\p{P}]+$/u, '')
    .trim();
  const overall = rest ? parseCrewAnswer(rest) : null;
  const today = localDate(nowMs, s.timezone);
  const yesterday = addDays(today, -1);
  const forYesterday = overall?.ok === true && overall.forYesterday;
  const answered = forYesterday ? asks.find((a) => a.localDate === yesterday) : ask;
  if (!answered || answered.localDate < yesterday) return { answers: [], rest: body };
  const answers: CrewAnswerOut[] = [];
  answered.challengeIds.forEach((challengeId, i) => {
    const o = forYesterday ? undefined : overrides.get(i);
    if (o) answers.push({ challengeId, localDate: answered.localDate, ...o, reflection: null });
    else if (overall?.ok)
      answers.push({
        challengeId,
        localDate: answered.localDate,
        done: overall.done,
        energy: overall.energy,
        reflection: overall.reflection,
      });
  });
  return { answers, rest };
}

/** The end of `day`'s crew question: answers count until then plus the grace (the challenge checks). */
export function crewAskUntil(s: MemberState, atMs: number): number {
  return startOfNextLocalDay(atMs, s.timezone) + 24 * 60 * 60 * 1000;
}
