/**
 * Erasure activities (workflows/erasure): the database part of an erasure and the final shred. Each takes
 * business ids only and is idempotent, so a retried or replayed step changes nothing twice.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import type { Db } from '../db/client.js';
import { erasePhone, setErasureStep } from '../db/erasure.js';
import type { ErasureStep } from '../db/erasure-schema.js';
import { eraseMember } from '../db/members.js';
import { holdsMemberQuery } from '../workflows/crew-challenge/definitions.js';
import { crewChallengeWorkflowId, mentorshipMatchWorkflowId } from '../workflows/ids.js';
import { matchStateQuery } from '../workflows/mentorship-match/definitions.js';

export interface ErasureDeps {
  db: Db;
  /**
   * Destroys the subject's payload data key (crypto-shredding, issue 12 §2). Injected: the codec's
   * `shredSubject` (activities/index.ts passes db/subject-keys.ts by default). Must be idempotent.
   */
  shredSubject?: (subject: string) => Promise<void>;
}

/** The codec subject of a member's payloads. */
export const memberSubject = (memberId: string): string => `member:${memberId}`;

/**
 * Polls `done` for up to POLL_MS inside one attempt (a workflow told of the erasure usually finishes within
 * seconds), heartbeating; false if it is still not done, and the caller then fails retryably for Temporal's
 * backoff to take over. Without it, every wait would start with the backoff's 1 s, 2 s, 4 s… attempts.
 */
const POLL_MS = 20_000;
async function pollUntil(done: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + POLL_MS;
  for (;;) {
    if (await done()) return true;
    if (Date.now() > until) return false;
    Context.current().heartbeat();
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The one shape of the erasure's waits: done once the workflow is closed or was never started, or, while it runs,
 * once `doneWhileRunning` says so; else a retryable failure of this message and type for Temporal's backoff
 * (CHALLENGE_DROP_WAIT bounds it). With `poll`, the attempt first asks again for up to POLL_MS (`pollUntil`).
 */
async function awaitDone(
  workflowId: string,
  doneWhileRunning: (handle: WorkflowHandle) => Promise<boolean>,
  [message, type]: [message: string, type: string],
  opts: { poll: boolean },
): Promise<void> {
  const handle = Context.current().client.workflow.getHandle(workflowId);
  const done = async () => {
    try {
      if ((await handle.describe()).status.name !== 'RUNNING') return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
    return doneWhileRunning(handle);
  };
  if (opts.poll ? await pollUntil(done) : await done()) return;
  throw ApplicationFailure.retryable(message, type);
}

export function createErasureActivities(deps: ErasureDeps) {
  const shred = deps.shredSubject ?? (async () => {});
  return {
    async eraseMemberRows(r: { erasureId: string; memberId: string; requestedBy: string }): Promise<boolean> {
      return eraseMember(deps.db, r);
    },
    async shredErasedSubject(r: { memberId: string; subjects?: string[] }): Promise<void> {
      for (const subject of r.subjects ?? []) await shred(subject);
      await shred(memberSubject(r.memberId));
    },
    /**
     * Returns once the crew challenge no longer holds the erased member: closed, never started, or its current
     * run says so (`holdsMember`: false only after the run that dropped them continued as new). While it still
     * holds them this fails retryably, so Temporal retries with backoff (CHALLENGE_DROP_WAIT bounds it); the
     * erasure shreds their key only after. Ids only. It asks once per attempt: a challenge drops the member only
     * when its run continues as new, which can wait for a timer, and an activity polling meanwhile would keep the
     * time-skipping test server from skipping to it (test/api/erasure.test.ts).
     */
    async awaitChallengeDropped(r: { challengeId: string; memberId: string }): Promise<void> {
      await awaitDone(
        crewChallengeWorkflowId(r.challengeId),
        async (handle) => !(await handle.query(holdsMemberQuery, r.memberId)),
        ['the crew challenge still holds the erased member', 'ChallengeHoldsMember'],
        { poll: false },
      );
    },
    /**
     * Returns once this workflow is closed (or was never started). While it runs this fails retryably, so Temporal
     * retries with backoff (CHALLENGE_DROP_WAIT bounds it). A running workflow may be replayed at any time (a
     * worker restart, a cache eviction), and a replay decodes its history again: after the shred, the member's
     * payloads in it would open to tombstones and the replay could take another path. So a workflow told of the
     * erasure (their member workflow, their matches, their mentor workflows) ends before the key goes. Ids only.
     */
    async awaitWorkflowClosed(r: { workflowId: string }): Promise<void> {
      await awaitDone(
        r.workflowId,
        async () => false,
        ['the workflow told of the erasure is still running', 'StillRunning'],
        { poll: true },
      );
    },
    /**
     * Returns once this match no longer involves the erased member: closed, never started, or running for others
     * only (the erased member is neither its mentee nor its mentor — a request whose offer to them was withdrawn
     * goes on to its next mentor). Otherwise it fails retryably, like `awaitWorkflowClosed`. Ids only. It asks once
     * per attempt, like `awaitChallengeDropped`.
     */
    async awaitMatchReleased(r: { matchId: string; memberId: string; mentorIds: string[] }): Promise<void> {
      await awaitDone(
        mentorshipMatchWorkflowId(r.matchId),
        async (handle) => {
          const m = await handle.query(matchStateQuery);
          return (
            m.menteeMemberId !== r.memberId && !(m.mentorId !== null && r.mentorIds.includes(m.mentorId))
          );
        },
        ['the match still involves the erased member', 'StillRunning'],
        { poll: false },
      );
    },
    /**
     * Erasure by phone (workflows/erasure/phone.ts): the number's rows, again, in case the API died before its
     * own transaction (a no-op otherwise). The number arrives sealed under `erasure:<id>` (never readable in the
     * history once the erasure shreds that key); false when it belongs to a member (erased as one instead).
     */
    async erasePhoneRows(r: {
      erasureId: string;
      requestedBy: string;
      target: { subject: string; phone: string };
    }): Promise<boolean> {
      return erasePhone(deps.db, {
        erasureId: r.erasureId,
        phone: r.target.phone,
        requestedBy: r.requestedBy,
      });
    },
    /** Destroy these subjects' payload keys (idempotent): the last step of an erasure by phone. */
    async shredSubjects(r: { subjects: string[] }): Promise<void> {
      for (const subject of r.subjects) await shred(subject);
    },
    async recordErasureStep(r: { erasureId: string; step: ErasureStep }): Promise<void> {
      await setErasureStep(deps.db, r.erasureId, r.step);
    },
  };
}
