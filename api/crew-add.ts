/**
 * `ADD <amount> [unit]` by SMS: a contribution to the group goal of the sender's running crew challenge (the
 * newest one of their crews that has a goal and is active). Its business key is `sms:<MessageSid>`, so a text
 * Twilio delivers twice counts once. A text that is not an ADD goes on to the usual conversation routing.
 */
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { Db } from '../db/client.js';
import { challengesOfCrew, crewsOfMember } from '../db/crews.js';
import type { InboundMessage } from '../db/schema.js';
import { markedFor } from '../workflows/lib/subject.js';
import { contributeUpdate, crewChallengeWorkflowId, fieldErrorsOf, parseAdd } from './workflows.js';

/** Not this challenge (no goal, not running): try the next one. */
const NEXT_CANDIDATE = new Set(['goal', 'status', 'memberId']);

/**
 * undefined: not an ADD (route it as usual). Otherwise the workflow id that counted it, or null when no running
 * challenge of the sender's crews took it (kept unrouted, visible in GET /inbox).
 */
export async function routeAdd(
  deps: { db: Db; temporal: Client },
  row: InboundMessage,
  bounded: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<string | null | undefined> {
  const add = parseAdd(row.body);
  if (!add || !row.memberId) return undefined;
  const memberId = row.memberId;
  const candidates: { id: string; createdAt: Date }[] = [];
  for (const { crew } of await crewsOfMember(deps.db, memberId))
    candidates.push(...(await challengesOfCrew(deps.db, crew.id)));
  candidates.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  for (const ch of candidates) {
    const workflowId = crewChallengeWorkflowId(ch.id);
    try {
      await bounded(() =>
        deps.temporal.workflow.getHandle(workflowId).executeUpdate(contributeUpdate, {
          // The amount is the member's habit data: sealed with their key in the history.
          args: [
            markedFor('member', memberId, {
              memberId,
              amount: add.amount,
              unit: add.unit,
              key: `sms:${row.providerSid}`,
            }),
          ],
        }),
      );
      return workflowId;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) continue;
      if (err instanceof WorkflowUpdateFailedError) {
        const field = fieldErrorsOf(err)?.[0]?.field;
        if (field && NEXT_CANDIDATE.has(field)) continue;
        return null; // the goal's challenge refused it (amount, unit): kept for operators
      }
      throw err;
    }
  }
  return null;
}
