/**
 * Signals every conversational workflow (member, crew challenge, mentorship match, guest campaign) handles, so
 * inbound routing and the STOP/START/HELP workflow can reach any of them without knowing their kind. Pure and
 * side-effect free: the API imports it too.
 */
import { defineSignal } from '@temporalio/workflow';
import type { Subject } from './subject.js';

export interface InboundReply {
  /** inbound_messages.id: the business key used to deduplicate redeliveries. */
  inboundId: number;
  /** The text as received (characters SMS/Postgres cannot carry stripped at ingest). */
  body: string;
  receivedAtMs: number;
  /** What the expectation it was routed to accepts (e.g. `checkin_reply`); absent = routed to the member. */
  accepts?: string;
  /** The member whose phone sent it, when the phone is a member's (workflows that text several members need it). */
  memberId?: string;
  /** Media items (MMS) that came with it; bodies of media-only messages are empty. */
  numMedia?: number;
  /**
   * Whose words these are (workflows/lib/subject.ts): the payload codec seals the whole reply with that
   * subject's key. Absent in histories from before the codec.
   */
  subject?: Subject;
}

export interface ConsentChange {
  optedOut: boolean;
  inboundId?: number;
}

/** A non-keyword inbound text routed to this workflow (conversation routing). */
export const replySignal = defineSignal<[InboundReply]>('reply');
/** The phone this workflow texts opted out (STOP) or back in (START): sent to every workflow holding it. */
export const consentSignal = defineSignal<[ConsentChange]>('consent');
