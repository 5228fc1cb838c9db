/**
 * The answers (done, energy per member and day) of a carried-over state as runs before the per-member records
 * (carried.ts) handed them over (pure): plain (`<memberId>|<day>` → answer), or grouped per member, each group
 * marked with that member's subject (`<memberId>` → `{ days: { <day>: answer } }`). A group that opens to the
 * codec's tombstone (an erased member) is dropped.
 */
import type { ChallengeState } from './state.js';

type Answers = ChallengeState['answers'];
type Answer = Answers[string];

export function openedAnswers(carried: Readonly<Record<string, unknown>>): Answers {
  const out: Answers = {};
  for (const [key, v] of Object.entries(carried)) {
    if (key.includes('|')) {
      out[key] = v as Answer; // plain, as runs before the sealing carried them
      continue;
    }
    const days = (v as { days?: unknown } | null)?.days;
    if (typeof days !== 'object' || days === null) continue; // a tombstone: the member was erased
    for (const [day, a] of Object.entries(days as Record<string, Answer>)) out[`${key}|${day}`] = a;
  }
  return out;
}
