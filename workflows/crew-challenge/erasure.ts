/**
 * Dropping an erased member from a crew challenge (issue 12 §2), pure. What goes: their entry (id and zone), their
 * answers, their leaderboard alias, running total and contributions, their pending replies, answers and owed
 * texts, every per-member mark of the SMS question, and their cells in the ledger of releases. What stays: the
 * aggregates already published (the pulses, the released figures, the goal's total). A release whose figures
 * count more cells than it still lists has lost a member: complementary suppression counts that as at least one
 * member who differs from every later release (pulse.ts), so no later release can be subtracted from it to isolate
 * what they answered. Nothing of theirs is renamed or kept under a pseudonym: a pseudonym appearing in the next
 * run right after their erasure would name them to anyone who read both histories.
 *
 * After this, the workflow continues as new (its input stripped of them too), so no later run's history holds them.
 */
import type { CrewChallengeInput } from './definitions.js';
import type { FullState } from './state.js';
import { riddenState, smsState } from './sms.js';

const memberOfCell = (cell: string): string => cell.slice(0, cell.lastIndexOf('|'));

/** Whether the state holds anything of this member (their entry, an answer, or a released cell). */
export function holdsMember(s: FullState, memberId: string): boolean {
  return (
    s.members[memberId] !== undefined ||
    Object.keys(s.answers).some((k) => memberOfCell(k) === memberId) ||
    s.ledger.some((r) => r.cells.some((c) => memberOfCell(c) === memberId))
  );
}

/** Remove the member from the state (see the module comment). Returns false when nothing of theirs was held. */
export function eraseFromChallenge(s: FullState, memberId: string): boolean {
  if (!holdsMember(s, memberId)) return false;
  delete s.members[memberId];
  for (const key of Object.keys(s.answers)) if (memberOfCell(key) === memberId) delete s.answers[key];
  for (const r of s.ledger) r.cells = r.cells.filter((c) => memberOfCell(c) !== memberId);
  delete s.aliases[memberId];
  delete s.totals[memberId];
  if (s.goal) s.goal.contributions = s.goal.contributions.filter((c) => c.memberId !== memberId);
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
