/**
 * `erasure-<member id>`: the durable part of erasing a member (issue 12 §2). In order: every crew challenge that
 * may hold them is told to drop them, every mentorship match of theirs to end (the other side is told), each of
 * their mentor workflows to end, their own workflow is told to end, their rows go (a no-op when the API already
 * erased them in its own transaction), it waits until every challenge told has dropped them (its run continued as
 * new without them), and only then is their data key shredded. Each step is recorded on the erasure record; a
 * crash anywhere resumes at the step it reached, and every step is idempotent.
 */
import { getExternalWorkflowHandle, log, patched, proxyActivities } from '@temporalio/workflow';
import type { createErasureActivities } from '../../activities/erasure.js';
import { leaveChallengeSignal, memberErasedSignal } from '../crew-challenge/definitions.js';
import {
  crewChallengeWorkflowId,
  memberWorkflowId,
  mentorshipMatchWorkflowId,
  mentorWorkflowId,
} from '../ids.js';
import { participantErasedSignal } from '../mentorship-match/definitions.js';
import { mentorErasedSignal } from '../mentor/definitions.js';
import { CHALLENGE_DROP_WAIT, DB_WRITE } from '../lib/activity-options.js';
import { eraseSignal } from '../member/definitions.js';
import type { ErasureInput, ErasureResult } from './definitions.js';

/**
 * Runs with this marker tell challenges `memberErased` (the member's id, zone and answers leave the state and the
 * challenge continues as new without them); older histories told them `leaveChallenge`.
 */
export const ERASURE_CREW_DROP_PATCH = 'erasure-crew-drop';
/**
 * Runs with this marker end the member's mentor workflows, and wait (boundedly) until every challenge told has
 * dropped the member before the key is destroyed; older histories shredded at once.
 */
export const ERASURE_MENTOR_CREW_WAIT_PATCH = 'erasure-mentor-crew-wait';
/**
 * Runs with this marker also wait (boundedly) until the member's own workflow, their matches and their mentor
 * workflows have closed before the key is destroyed: a running workflow replayed after the shred would decode the
 * member's payloads to tombstones and could take another path (activities/erasure.ts `awaitWorkflowClosed`).
 */
export const ERASURE_WAIT_CLOSED_PATCH = 'erasure-wait-closed';

const erasure = proxyActivities<ReturnType<typeof createErasureActivities>>(DB_WRITE);
const dropWait = proxyActivities<ReturnType<typeof createErasureActivities>>(CHALLENGE_DROP_WAIT);

export async function erasureWorkflow(input: ErasureInput): Promise<ErasureResult> {
  const { erasureId, memberId } = input;
  const dropSignal = patched(ERASURE_CREW_DROP_PATCH) ? memberErasedSignal : leaveChallengeSignal;
  const waits = patched(ERASURE_MENTOR_CREW_WAIT_PATCH);
  const challengesTold: string[] = [];
  for (const challengeId of input.challengeIds)
    if (
      await told(() =>
        getExternalWorkflowHandle(crewChallengeWorkflowId(challengeId)).signal(dropSignal, { memberId }),
      )
    )
      challengesTold.push(challengeId);
  /** Workflows told of the erasure that must be done with the member before the shred (ERASURE_WAIT_CLOSED_PATCH). */
  const toClose: string[] = [];
  const matchesToRelease: string[] = [];
  let matchesTold = 0;
  for (const matchId of input.matchIds)
    if (
      await told(() =>
        getExternalWorkflowHandle(mentorshipMatchWorkflowId(matchId)).signal(participantErasedSignal, {
          memberId,
        }),
      )
    ) {
      matchesTold += 1;
      matchesToRelease.push(matchId);
    }
  let mentorsTold = 0;
  if (waits)
    for (const mentorId of input.mentorIds ?? [])
      if (
        await told(() =>
          getExternalWorkflowHandle(mentorWorkflowId(mentorId)).signal(mentorErasedSignal, { memberId }),
        )
      ) {
        mentorsTold += 1;
        toClose.push(mentorWorkflowId(mentorId));
      }
  await erasure.recordErasureStep({ erasureId, step: 'workflows' });
  if (await told(() => getExternalWorkflowHandle(memberWorkflowId(memberId)).signal(eraseSignal)))
    toClose.push(memberWorkflowId(memberId));
  await erasure.recordErasureStep({ erasureId, step: 'member' });
  await erasure.eraseMemberRows({ erasureId, memberId, requestedBy: input.requestedBy });
  await erasure.recordErasureStep({ erasureId, step: 'rows' });
  // A challenge's run holds the member's data (sealed under their key) until it continues as new without them:
  // the key may go only after, since nobody can seal that state again once it is gone.
  const challengesNotDropped: string[] = [];
  if (waits)
    for (const challengeId of challengesTold)
      try {
        await dropWait.awaitChallengeDropped({ challengeId, memberId });
      } catch {
        log.warn('crew challenge did not drop the erased member in time; shredding anyway', {
          erasureId,
          challengeId,
        });
        challengesNotDropped.push(challengeId);
      }
  const notClosed: string[] = [];
  /** A bounded wait (CHALLENGE_DROP_WAIT): when it runs out, the workflow is named in the result. */
  const boundedWait = async (workflowId: string, wait: () => Promise<void>): Promise<void> => {
    try {
      await wait();
    } catch {
      log.warn('a workflow told of the erasure was not done with the member in time; shredding anyway', {
        erasureId,
        workflowId,
      });
      notClosed.push(workflowId);
    }
  };
  if (patched(ERASURE_WAIT_CLOSED_PATCH)) {
    const mentorIds = input.mentorIds ?? [];
    for (const matchId of matchesToRelease)
      await boundedWait(mentorshipMatchWorkflowId(matchId), () =>
        dropWait.awaitMatchReleased({ matchId, memberId, mentorIds }),
      );
    for (const workflowId of toClose)
      await boundedWait(workflowId, () => dropWait.awaitWorkflowClosed({ workflowId }));
  }
  await erasure.shredErasedSubject({ memberId, ...(input.subjects && { subjects: input.subjects }) });
  await erasure.recordErasureStep({ erasureId, step: 'shred' });
  await erasure.recordErasureStep({ erasureId, step: 'done' });
  const result = { challengesTold: challengesTold.length, matchesTold };
  const withWaits = waits ? { ...result, mentorsTold, challengesNotDropped } : result;
  return notClosed.length > 0 ? { ...withWaits, workflowsNotClosed: notClosed } : withWaits;
}

/** Signal a workflow if it is running; false when it is closed or was never started (nothing to drop there). */
async function told(send: () => Promise<void>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch {
    return false;
  }
}
