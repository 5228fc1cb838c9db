/**
 * The answers (done, energy per member and day) as a continue-as-new input carries them (pure): grouped per
 * member, each group marked with that member's subject, so the payload codec seals it with their key (README
 * "Privacy") and the next run's history never holds them readably. The new run opens either form: plain (runs
 * from before) or grouped; a group that opens to the codec's tombstone (an erased member) is dropped.
 */
import { markedFor } from '../lib/subject.js';
import type { ChallengeState } from './state.js';

type Answers = ChallengeState['answers'];
type Answer = Answers[string];

export function sealedAnswers(answers: Readonly<Answers>): Answers {
  const byMember: Record<string, Record<string, Answer>> = {};
  for (const [cell, a] of Object.entries(answers)) {
    const i = cell.lastIndexOf('|');
    (byMember[cell.slice(0, i)] ??= {})[cell.slice(i + 1)] = a;
  }
  const out: Record<string, unknown> = {};
  for (const [memberId, days] of Object.entries(byMember))
    out[memberId] = markedFor('member', memberId, { days });
  return out as Answers;
}

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
