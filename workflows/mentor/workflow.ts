/**
 * The mentor entity workflow (`mentor-<id>`): holds the mentor's capacity as an invariant. Every accept is an
 * update that checks and reserves a slot in one step (validator and handler are synchronous, so no two accepts
 * interleave); a match that ends releases its slot by signal. It ends when the mentor is erased (their matches
 * told first). No personal data in input or state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { mentorshipMatchWorkflowId } from '../ids.js';
import { mentorFullSignal, participantErasedSignal } from '../mentorship-match/definitions.js';
import { invalidInput } from '../lib/failures.js';
import {
  mentorErasedSignal,
  mentorStateQuery,
  offerSignal,
  releaseSlotSignal,
  reserveSlotUpdate,
  setCapacityUpdate,
  type MentorSnapshot,
  type MentorWorkflowInput,
} from './definitions.js';

export type { MentorSnapshot, MentorWorkflowInput } from './definitions.js';

/** Runs with this marker end when the mentor is erased (before it, `mentorErased` was not handled). */
export const MENTOR_ERASED_PATCH = 'mentor-erased';

/** The largest capacity a mentor may declare (the API says the same). */
export const MAX_MENTOR_CAPACITY = 20;

export async function mentorWorkflow(input: MentorWorkflowInput): Promise<void> {
  const { mentorId } = input;
  let capacity = input.capacity;
  const active: string[] = [...(input.active ?? [])];
  let pending: string[] = [...(input.pending ?? [])];
  /** Matches whose live offer to this mentor is withdrawn because the last slot was just taken. */
  const withdraw: string[] = [];
  let changes = 0;
  /** The erased mentor's member id (mentorErased): the loop tells their matches and the workflow ends. */
  let erasedMemberId: string | null = null;
  const snapshot = (): MentorSnapshot => ({
    mentorId,
    capacity,
    active: [...active],
    free: Math.max(0, capacity - active.length),
    pending: [...pending],
  });
  /** Full now: every other live offer is withdrawn (the main loop tells those matches). */
  const cascadeIfFull = () => {
    if (active.length < capacity) return;
    withdraw.push(...pending.filter((m) => !active.includes(m)));
    pending = [];
  };

  setHandler(mentorStateQuery, snapshot);
  setHandler(
    reserveSlotUpdate,
    ({ matchId }) => {
      if (!active.includes(matchId)) active.push(matchId);
      pending = pending.filter((m) => m !== matchId);
      cascadeIfFull();
      changes++;
      return snapshot();
    },
    {
      validator: ({ matchId }) => {
        if (active.includes(matchId)) return;
        if (active.length >= capacity) {
          throw invalidInput('capacity', capacity === 0 ? 'mentor is not taking mentees' : 'mentor is full');
        }
      },
    },
  );
  setHandler(releaseSlotSignal, ({ matchId }) => {
    const i = active.indexOf(matchId);
    if (i >= 0) active.splice(i, 1);
    changes++;
  });
  setHandler(offerSignal, ({ matchId, open }) => {
    pending = pending.filter((m) => m !== matchId);
    if (open && !active.includes(matchId)) pending.push(matchId);
    if (open) cascadeIfFull();
    changes++;
  });
  setHandler(mentorErasedSignal, ({ memberId }) => {
    erasedMemberId ??= memberId;
    changes++;
  });
  setHandler(
    setCapacityUpdate,
    (c) => {
      capacity = c.capacity;
      cascadeIfFull();
      changes++;
      return snapshot();
    },
    {
      validator: (c) => {
        if (!Number.isInteger(c.capacity) || c.capacity < 0 || c.capacity > MAX_MENTOR_CAPACITY) {
          throw invalidInput('capacity', `must be a whole number from 0 to ${MAX_MENTOR_CAPACITY}`);
        }
      },
    },
  );

  // The mentor lives as long as their profile: wait for messages, continue-as-new when the history grows.
  for (;;) {
    while (withdraw.length > 0) {
      const matchId = withdraw.shift()!;
      try {
        await getExternalWorkflowHandle(mentorshipMatchWorkflowId(matchId)).signal(mentorFullSignal, {
          mentorId,
        });
      } catch {
        log.info('match already closed; nothing to withdraw', { mentorId, matchId });
      }
    }
    if (erasedMemberId !== null && patched(MENTOR_ERASED_PATCH)) break;
    const seen = changes;
    await condition(() => changes !== seen || withdraw.length > 0 || workflowInfo().continueAsNewSuggested);
    if (workflowInfo().continueAsNewSuggested && withdraw.length === 0) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof mentorWorkflow>({ mentorId, capacity, active, pending });
    }
  }

  // ---- erased: their matches are told (a match ends, or passes a live offer on), and the mentor is gone --------
  for (const matchId of [...new Set([...active, ...pending])]) {
    try {
      await getExternalWorkflowHandle(mentorshipMatchWorkflowId(matchId)).signal(participantErasedSignal, {
        memberId: erasedMemberId,
      });
    } catch {
      log.info('match already closed; nothing to tell', { mentorId, matchId });
    }
  }
  await condition(allHandlersFinished);
}
