/**
 * `erasure-<member id>`: the durable part of erasing a member (issue 12 §2). In order: every crew challenge that
 * may hold them is told to drop them, every mentorship match of theirs to end (the other side is told), their own workflow is told to end, their rows go (a no-op when the API
 * already erased them in its own transaction), and only then is their data key shredded. Each step is recorded on
 * the erasure record; a crash anywhere resumes at the step it reached, and every step is idempotent.
 */
import { getExternalWorkflowHandle, patched, proxyActivities } from '@temporalio/workflow';
import type { createErasureActivities } from '../../activities/erasure.js';
import { leaveChallengeSignal, memberErasedSignal } from '../crew-challenge/definitions.js';
import { crewChallengeWorkflowId, memberWorkflowId, mentorshipMatchWorkflowId } from '../ids.js';
import { participantErasedSignal } from '../mentorship-match/definitions.js';
import { DB_WRITE } from '../lib/activity-options.js';
import { eraseSignal } from '../member/definitions.js';
import type { ErasureInput, ErasureResult } from './definitions.js';

/**
 * Runs with this marker tell challenges `memberErased` (the member's id, zone and answers leave the state and the
 * challenge continues as new without them); older histories told them `leaveChallenge`.
 */
export const ERASURE_CREW_DROP_PATCH = 'erasure-crew-drop';

const erasure = proxyActivities<ReturnType<typeof createErasureActivities>>(DB_WRITE);

export async function erasureWorkflow(input: ErasureInput): Promise<ErasureResult> {
  const { erasureId, memberId } = input;
  let challengesTold = 0;
  const dropSignal = patched(ERASURE_CREW_DROP_PATCH) ? memberErasedSignal : leaveChallengeSignal;
  for (const challengeId of input.challengeIds)
    if (
      await told(() =>
        getExternalWorkflowHandle(crewChallengeWorkflowId(challengeId)).signal(dropSignal, { memberId }),
      )
    )
      challengesTold += 1;
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
  await erasure.recordErasureStep({ erasureId, step: 'workflows' });
  await told(() => getExternalWorkflowHandle(memberWorkflowId(memberId)).signal(eraseSignal));
  await erasure.recordErasureStep({ erasureId, step: 'member' });
  await erasure.eraseMemberRows({ erasureId, memberId, requestedBy: input.requestedBy });
  await erasure.recordErasureStep({ erasureId, step: 'rows' });
  await erasure.shredErasedSubject({ memberId, ...(input.subjects && { subjects: input.subjects }) });
  await erasure.recordErasureStep({ erasureId, step: 'shred' });
  await erasure.recordErasureStep({ erasureId, step: 'done' });
  return { challengesTold, matchesTold };
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
