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
  let matchesTold = 0;
  for (const matchId of input.matchIds)
    if (
      await told(() =>
        getExternalWorkflowHandle(mentorshipMatchWorkflowId(matchId)).signal(participantErasedSignal, {
          memberId,
        }),
      )
    )
      matchesTold += 1;
  let mentorsTold = 0;
  if (waits)
    for (const mentorId of input.mentorIds ?? [])
      if (
        await told(() =>
          getExternalWorkflowHandle(mentorWorkflowId(mentorId)).signal(mentorErasedSignal, { memberId }),
        )
      )
        mentorsTold += 1;
  await erasure.recordErasureStep({ erasureId, step: 'workflows' });
  await told(() => getExternalWorkflowHandle(memberWorkflowId(memberId)).signal(eraseSignal));
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
  await erasure.shredErasedSubject({ memberId, ...(input.subjects && { subjects: input.subjects }) });
  await erasure.recordErasureStep({ erasureId, step: 'shred' });
  await erasure.recordErasureStep({ erasureId, step: 'done' });
  const result = { challengesTold: challengesTold.length, matchesTold };
  return waits ? { ...result, mentorsTold, challengesNotDropped } : result;
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
