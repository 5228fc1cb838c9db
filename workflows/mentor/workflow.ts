/**
 * The mentor entity workflow (`mentor-<id>`): holds the mentor's capacity as an invariant. Every accept is an
 * update that checks and reserves a slot in one step (validator and handler are synchronous, so no two accepts
 * interleave); a match that ends releases its slot by signal. No personal data in input or state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { invalidInput } from '../lib/failures.js';
import {
  mentorStateQuery,
  releaseSlotSignal,
  reserveSlotUpdate,
  setCapacityUpdate,
  type MentorSnapshot,
  type MentorWorkflowInput,
} from './definitions.js';

export type { MentorSnapshot, MentorWorkflowInput } from './definitions.js';

/** The largest capacity a mentor may declare (the API says the same). */
export const MAX_MENTOR_CAPACITY = 20;

export async function mentorWorkflow(input: MentorWorkflowInput): Promise<void> {
  const { mentorId } = input;
  let capacity = input.capacity;
  const active: string[] = [...(input.active ?? [])];
  let changes = 0;
  const snapshot = (): MentorSnapshot => ({
    mentorId,
    capacity,
    active: [...active],
    free: Math.max(0, capacity - active.length),
  });

  setHandler(mentorStateQuery, snapshot);
  setHandler(
    reserveSlotUpdate,
    ({ matchId }) => {
      if (!active.includes(matchId)) active.push(matchId);
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
  setHandler(
    setCapacityUpdate,
    (c) => {
      capacity = c.capacity;
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
    const seen = changes;
    await condition(() => changes !== seen || workflowInfo().continueAsNewSuggested);
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof mentorWorkflow>({ mentorId, capacity, active });
    }
  }
}
