/**
 * Inbound SMS parsing shared by every conversational workflow (pure: no imports). Input is first NFKC-normalised (full-width letters etc.) and matched
 * case-insensitively.
 *
 * 1. classifyInbound — Twilio Advanced Opt-Out default keywords. The WHOLE message must be the keyword,
 *    ignoring case, surrounding whitespace and surrounding punctuation/emoji ("Stop.", " stop ", "STOP!").
 *    Spaced/hyphenated forms are accepted only for two-word keywords: "STOP ALL", "OPT OUT", "opt-out".
 *    NOTE: "YES" is an opt-in keyword here (as it is for Twilio). Context-dependent meaning (e.g. "YES" as an
 *    onboarding confirmation or as a check-in answer) is the caller's decision, so call classifyInbound first
 *    and interpret `opt_in`/YES in context.
 *
 * 2. parseCheckInReply — grammar (tokens separated by spaces; `,` `;` also separate):
 *
 *      reply      := [ "yesterday" | "yday" ] [":" | ","] answers [ mood ] [ reflection ] [ mood ]
 *      answers    := numbered+ | positional | single
 *      numbered   := GOAL [":" "." "=" ")" "-"] ANSWER       e.g. "1 Y 2 N", "1Y 2N", "1: yes, 2: no"
 *      positional := YN-letter (YN-letter)+                   e.g. "Y N Y" → goals 1, 2, 3 (letters only)
 *      single     := ANSWER                                   applies to all due goals (goal: null)
 *      ANSWER     := Y | YES | YEP | YEAH | YUP | ✅ | ✔ | 👍   (done)
 *                  | N | NO | NOPE | NAH | ❌ | ✖ | 👎          (not done)
 *      mood       := "mood" [":" | "="] D  |  D "/5"  |  D    (D = 1–5)
 *      GOAL       := 1–99
 *
 *    - An ANSWER must be followed by end of text, whitespace or punctuation ("y." ok, "yo" is not an answer).
 *    - A bare mood digit is only recognised right after a single/positional answer and only when followed by
 *      end of text or , ; . ! — so "Y 4" / "Y 4, tired" set mood 4 but "Y 3 miles" has reflection "3 miles".
 *      "mood 4" and "4/5" are also recognised at the very end of the reflection ("Y ran 3k, tired, mood 4").
 *    - reflection = whatever text is left, trimmed (original case kept); omitted when empty.
 *    - A repeated goal number keeps the last answer. Goal numbers are not range-checked against the member's
 *      goals; the caller does that.
 *    - "yesterday" is only recognised as the first word (→ forYesterday: true).
 *    - Caveat: any text that starts with an ANSWER word parses ("no idea" → N, reflection "idea"; "Yes I ran"
 *      → Y). Only call this when a check-in is actually pending, after classifyInbound.
 */

export type InboundKind = 'opt_out' | 'opt_in' | 'help' | 'message';

export interface InboundClassification {
  kind: InboundKind;
  /** Canonical upper-case keyword (e.g. "STOPALL" for "stop all"); absent for kind 'message'. */
  keyword?: string;
}

const KEYWORDS = new Map<string, Exclude<InboundKind, 'message'>>([
  ...['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'].map(
    (k) => [k, 'opt_out'] as const,
  ),
  ...['START', 'YES', 'UNSTOP'].map((k) => [k, 'opt_in'] as const),
  ...['HELP', 'INFO'].map((k) => [k, 'help'] as const),
]);
/** Keywords that may also be written as two words ("STOP ALL", "opt-out"). */
const SPLITTABLE = new Set(['STOPALL', 'OPTOUT']);

/** NFKC normalisation (full-width letters etc.), shared by every inbound parser. */
export const normalize = (s: string): string => s.normalize('NFKC');
/** Strip leading/trailing characters that are neither letters nor digits (whitespace, punctuation, emoji). */
const stripEdges = (s: string): string => s.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');

export function classifyInbound(body: string): InboundClassification {
  const core = stripEdges(normalize(body)).toUpperCase();
  const words = core.split(/[\s_-]+/u);
  const joined = words.join('');
  const kind = KEYWORDS.get(joined);
  if (kind && (words.length === 1 || (words.length === 2 && SPLITTABLE.has(joined)))) {
    return { kind, keyword: joined };
  }
  return { kind: 'message' };
}

// ---------------------------------------------------------------------------------------------------------
// Check-in replies

export interface CheckInAnswer {
  /** 1-based goal number, or null = all goals due in this check-in. */
  goal: number | null;
  done: boolean;
}

export type CheckInReply =
  | { ok: true; forYesterday: boolean; answers: CheckInAnswer[]; mood?: number; reflection?: string }
  | { ok: false };

// Emoji may carry a variation selector (U+FE0F) or a skin-tone modifier (U+1F3FB–1F3FF).
const EMOJI_TAIL = '(?:\\uFE0F|\\u{1F3FB}|\\u{1F3FC}|\\u{1F3FD}|\\u{1F3FE}|\\u{1F3FF})?';
const ANSWER = `(yes|yep|yeah|yup|y|no|nope|nah|n|(?:✅|✔|👍|❌|✖|👎)${EMOJI_TAIL})`;
/** An answer word must not run into further letters/digits ("yo", "nice", "y2k"). */
const END = '(?![\\p{L}\\p{N}])';
const SEP = '[\\s,;]*';

const RE_YESTERDAY = /^(?:yesterday|yday)(?![\p{L}\p{N}])[\s,:;.-]*/iu;
const RE_NUMBERED = new RegExp(`^${SEP}(\\d{1,2})\\s*[:.=)-]?\\s*${ANSWER}${END}`, 'iu');
const RE_POSITIONAL = /^([yn])(?:[\s,;/]+[yn](?![\p{L}\p{N}]))+(?![\p{L}\p{N}])/iu;
const RE_SINGLE = new RegExp(`^${ANSWER}${END}`, 'iu');
const RE_MOOD_LEAD = /^[\s,;:.!-]*(?:mood\s*[:=]?\s*([1-5])|([1-5])\s*\/\s*5)(?![\p{L}\p{N}])/iu;
const RE_MOOD_BARE = /^[\s,;:-]*([1-5])(?=\s*(?:$|[,;.!]))/u;
const RE_MOOD_TAIL = /(?:^|[\s,;.!-])(?:mood\s*[:=]?\s*([1-5])|([1-5])\s*\/\s*5)[\s.!]*$/iu;

const isDone = (a: string): boolean => /^(?:y|✅|✔|👍)/iu.test(a);

export function parseCheckInReply(body: string): CheckInReply {
  let rest = normalize(body).trim();
  let forYesterday = false;
  const y = RE_YESTERDAY.exec(rest);
  if (y) {
    forYesterday = true;
    rest = rest.slice(y[0].length);
  }

  const byGoal = new Map<number | null, boolean>();
  let allowBareMood = true;
  let m: RegExpExecArray | null;
  if (RE_NUMBERED.test(rest)) {
    allowBareMood = false; // "1Y 2N 3" is more likely a forgotten answer than a mood
    while ((m = RE_NUMBERED.exec(rest))) {
      const goal = Number(m[1]);
      if (goal < 1) return { ok: false };
      byGoal.delete(goal); // last answer wins, and keeps its position
      byGoal.set(goal, isDone(m[2] ?? ''));
      rest = rest.slice(m[0].length);
    }
  } else if ((m = RE_POSITIONAL.exec(rest))) {
    (m[0].match(/[yn]/giu) ?? []).forEach((a, i) => byGoal.set(i + 1, isDone(a)));
    rest = rest.slice(m[0].length);
  } else if ((m = RE_SINGLE.exec(rest))) {
    byGoal.set(null, isDone(m[1] ?? ''));
    rest = rest.slice(m[0].length);
  } else {
    return { ok: false };
  }

  let mood: number | undefined;
  const lead = RE_MOOD_LEAD.exec(rest) ?? (allowBareMood ? RE_MOOD_BARE.exec(rest) : null);
  if (lead) {
    mood = Number(lead[1] ?? lead[2]);
    rest = rest.slice(lead[0].length);
  } else {
    const tail = RE_MOOD_TAIL.exec(rest);
    if (tail) {
      mood = Number(tail[1] ?? tail[2]);
      rest = rest.slice(0, tail.index);
    }
  }

  const reflection = rest.replace(/^[\s,;:.!-]+/u, '').replace(/[\s,;:-]+$/u, '');
  const answers = [...byGoal].map(([goal, done]) => ({ goal, done }));
  return {
    ok: true,
    forYesterday,
    answers,
    ...(mood !== undefined && { mood }),
    ...(reflection && { reflection }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Crew commands: `JOIN <code>` and `LEAVE [<code>]`

export type CrewCommand =
  | { command: 'join'; code: string }
  | { command: 'leave'; code: string | null }
  /** `REPORT`: the newest crew reflection the member can read (workflows/crew/workflow.ts). */
  | { command: 'report' }
  /** `NOTES ON|OFF [<code>]`: give or withdraw consent to share one's reflections with the crew. */
  | { command: 'notes'; share: boolean; code: string | null };

/** A crew's join code: 6 characters, letters and digits 2–9 (db/crews.ts). */
const CREW_CODE = '[A-Z2-9]{6}';
const RE_JOIN = new RegExp(`^JOIN\\s+(${CREW_CODE})$`, 'u');
const RE_LEAVE = new RegExp(`^LEAVE(?:\\s+(${CREW_CODE}))?$`, 'u');
const RE_NOTES = new RegExp(`^NOTES\\s+(ON|OFF)(?:\\s+(${CREW_CODE}))?$`, 'u');

/**
 * `JOIN <code>` / `LEAVE` / `LEAVE <code>` / `REPORT` / `NOTES ON|OFF [<code>]` (any case, surrounding spaces and punctuation ignored), else null.
 * A bare JOIN is not a crew command: it may be a member's onboarding confirmation word.
 */
export function parseCrewCommand(body: string): CrewCommand | null {
  const core = stripEdges(normalize(body)).toUpperCase().replace(/\s+/gu, ' ');
  const join = RE_JOIN.exec(core);
  if (join) return { command: 'join', code: join[1]! };
  const leave = RE_LEAVE.exec(core);
  if (leave) return { command: 'leave', code: leave[1] ?? null };
  if (core === 'REPORT') return { command: 'report' };
  const notes = RE_NOTES.exec(core);
  if (notes) return { command: 'notes', share: notes[1] === 'ON', code: notes[2] ?? null };
  return null;
}
