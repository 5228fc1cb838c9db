/**
 * A crew pulse answer by SMS (pure): what a member's reply to the crew's daily question means.
 *
 *      answer     := [ "yesterday" | "yday" ] [":" | "," | "-"] DONE [ ENERGY ] [ reflection ]
 *      DONE       := Y | YES | YEP | YEAH | YUP | DONE | ✅ | ✔ | 👍   (done)
 *                  | N | NO | NOPE | NAH | ❌ | ✖ | 👎                (not done)
 *      ENERGY     := one digit 1–5 on its own ("Y 4", "Y4", "N, 2 long day")
 *
 * - Case-insensitive, NFKC-normalised (full-width letters), surrounding spaces ignored.
 * - A DONE word must not run into further letters ("yo", "nice" are not answers).
 * - A single digit right after DONE is the energy; a digit 0 or 6–9 there is refused (`energy`) rather than
 *   guessed; several digits ("Y 10 km") are part of the reflection.
 * - The reflection is the rest of the text, trimmed, cut to REFLECTION_MAX characters (on a word boundary when
 *   one is near); omitted when empty.
 * - "yesterday" (first word only) answers the member's local yesterday (accepted within the 24 h grace);
 *   otherwise the reply answers the latest question the member was asked.
 */
import { normalize } from '../lib/keywords.js';

/** The longest reflection kept from an SMS answer (characters); longer ones are cut. */
export const REFLECTION_MAX = 280;

export type CrewAnswer =
  | { ok: true; done: boolean; energy: number | null; reflection: string | null; forYesterday: boolean }
  | { ok: false; reason: 'no_answer' | 'energy' };

const EMOJI_TAIL = '(?:\\uFE0F|\\u{1F3FB}|\\u{1F3FC}|\\u{1F3FD}|\\u{1F3FE}|\\u{1F3FF})?';
const RE_YESTERDAY = /^(?:yesterday|yday)(?![\p{L}\p{N}])[\s,:;.-]*/iu;
const RE_DONE = new RegExp(
  `^(yes|yep|yeah|yup|done|y|no|nope|nah|n|(?:✅|✔|👍|❌|✖|👎)${EMOJI_TAIL})(?![\\p{L}])`,
  'iu',
);
const RE_ENERGY = /^[\s,;:.=/-]*(\d)(?![\p{L}\p{N}])/u;

const isDone = (word: string): boolean => /^(?:y|d|✅|✔|👍)/iu.test(word);

/** Cut to `max` characters, at the last space in the final fifth when there is one. */
export function clipReflection(text: string, max = REFLECTION_MAX): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(0, max).join('');
  const space = cut.lastIndexOf(' ');
  return (space >= max * 0.8 ? cut.slice(0, space) : cut).trimEnd();
}

export function parseCrewAnswer(body: string): CrewAnswer {
  let rest = normalize(body).trim();
  const y = RE_YESTERDAY.exec(rest);
  if (y) rest = rest.slice(y[0].length);
  const d = RE_DONE.exec(rest);
  if (!d) return { ok: false, reason: 'no_answer' };
  rest = rest.slice(d[0].length);
  let energy: number | null = null;
  const e = RE_ENERGY.exec(rest);
  if (e) {
    energy = Number(e[1]);
    if (energy < 1 || energy > 5) return { ok: false, reason: 'energy' };
    rest = rest.slice(e[0].length);
  }
  const note = rest.replace(/^[\s,;:.!-]+/u, '').trimEnd();
  return {
    ok: true,
    done: isDone(d[1]!),
    energy,
    reflection: note ? clipReflection(note) : null,
    forYesterday: Boolean(y),
  };
}
