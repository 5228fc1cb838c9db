/**
 * Dropping an erased member from a crew challenge (issue 12 §2), pure. What goes: their entry (id and zone), their
 * answers, their leaderboard alias and running total, their pending replies, answers and owed texts, and every
 * per-member mark of the SMS question. What stays: the aggregates already published (the pulses, the goal's total,
 * the released figures), and the ledger of releases, whose cells of the erased member are renamed to a pseudonym
 * (`erased-<n>`, the n-th person erased from this challenge): complementary suppression still counts them as one
 * distinct member, so no later release can be subtracted from an earlier one to isolate what they answered. Their
 * contributions to the goal keep their amounts under the same pseudonym (the published total stays the total).
 *
 * After this, the workflow continues as new (its input stripped of them too), so no later run's history holds them.
 */
import type { CrewChallengeInput } from './definitions.js';
import type { FullState } from './state.js';
import { riddenState, smsState } from './sms.js';

/** The prefix of the pseudonyms; never a member id (those are UUIDs). */
export const ERASED_PREFIX = 'erased-';

const memberOfCell = (cell: string): string => cell.slice(0, cell.lastIndexOf('|'));
const dayOfCell = (cell: string): string => cell.slice(cell.lastIndexOf('|') + 1);

/** Whether the state holds anything of this member (their entry, an answer, or a released cell). */
export function holdsMember(s: FullState, memberId: string): boolean {
  return (
    s.members[memberId] !== undefined ||
    Object.keys(s.answers).some((k) => memberOfCell(k) === memberId) ||
    s.ledger.some((r) => r.cells.some((c) => memberOfCell(c) === memberId))
  );
}

/** The pseudonym the next erased member gets: one more than the highest already in the ledger or the goal log. */
function nextPseudonym(s: FullState): string {
  let n = 0;
  const see = (id: string) => {
    if (id.startsWith(ERASED_PREFIX)) n = Math.max(n, Number(id.slice(ERASED_PREFIX.length)) || 0);
  };
  for (const r of s.ledger) for (const c of r.cells) see(memberOfCell(c));
  for (const c of s.goal?.contributions ?? []) see(c.memberId);
  return `${ERASED_PREFIX}${n + 1}`;
}

/** Remove the member from the state (see the module comment). Returns false when nothing of theirs was held. */
export function eraseFromChallenge(s: FullState, memberId: string): boolean {
  if (!holdsMember(s, memberId)) return false;
  const alias = nextPseudonym(s);
  delete s.members[memberId];
  for (const key of Object.keys(s.answers)) if (memberOfCell(key) === memberId) delete s.answers[key];
  for (const r of s.ledger)
    if (r.cells.some((c) => memberOfCell(c) === memberId))
      r.cells = r.cells.map((c) => (memberOfCell(c) === memberId ? `${alias}|${dayOfCell(c)}` : c)).sort();
  delete s.aliases[memberId];
  delete s.totals[memberId];
  for (const c of s.goal?.contributions ?? []) if (c.memberId === memberId) c.memberId = alias;
  s.addReplies = s.addReplies.filter((r) => r.memberId !== memberId);
  if (s.sms) {
    const sms = smsState(s);
    delete sms.asked[memberId];
    sms.pendingReplies = sms.pendingReplies.filter((r) => r.memberId !== memberId);
  }
  if (s.ridden) {
    const r = riddenState(s);
    delete r.enrolled[memberId];
    delete r.selfAsked[memberId];
    if (r.unreached) delete r.unreached[memberId];
    r.pending = r.pending.filter((a) => a.memberId !== memberId);
    r.keys = r.keys.filter((k) => !k.endsWith(`|${memberId}`));
  }
  return true;
}

/** The input of the next run without the erased member (the initial members list names them). */
export function inputWithout(input: CrewChallengeInput, memberId: string): CrewChallengeInput {
  return { ...input, members: input.members.filter((m) => m.memberId !== memberId) };
}
