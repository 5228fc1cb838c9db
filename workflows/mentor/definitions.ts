/**
 * The mentor workflow's (`mentor-<id>`) messages. Side-effect free: the API and the match workflow's activities
 * import it. The mentor's capacity is an invariant held here: `reserveSlot` checks and reserves in one step.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export interface MentorWorkflowInput {
  mentorId: string;
  /** Mentees the mentor takes at once; 0 = not taking. */
  capacity: number;
  /** Carried over continue-as-new: the matches holding a slot. */
  active?: string[];
  /** Carried over continue-as-new: matches with a live offer to this mentor. */
  pending?: string[];
}

export interface MentorSnapshot {
  mentorId: string;
  capacity: number;
  /** Match ids holding a slot, in the order they were reserved. */
  active: string[];
  free: number;
  /** Matches with a live offer to this mentor: withdrawn at once when the last slot is taken. */
  pending: string[];
}

/**
 * Accept a match for this mentor: refused (InvalidInput on `capacity`) when every slot is taken; reserving the
 * same match twice is a no-op. Validator and handler are synchronous, so check and reserve cannot interleave.
 */
export const reserveSlotUpdate = defineUpdate<MentorSnapshot, [{ matchId: string }]>('reserveSlot');
/** A match ended (completed, ended early): its slot is free again. Unknown match ids are ignored. */
export const releaseSlotSignal = defineSignal<[{ matchId: string }]>('releaseSlot');
/** The mentor changed their capacity (never below 0); slots already taken are kept. */
export const setCapacityUpdate = defineUpdate<MentorSnapshot, [{ capacity: number }]>('setCapacity');
/** A match offered this mentor (`open`) or the offer closed without an accept (`closed`). */
export const offerSignal = defineSignal<[{ matchId: string; open: boolean }]>('offer');
export const mentorStateQuery = defineQuery<MentorSnapshot>('mentorState');
/**
 * From `erasure-<member id>`: the mentor's member was erased. Every match with a live offer to them or holding
 * one of their slots is told (`participantErased`, the erasure tells them too: the match ignores a repeat), and
 * the workflow ends.
 */
export const mentorErasedSignal = defineSignal<[{ memberId: string }]>('mentorErased');
