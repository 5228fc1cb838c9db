/** The erasure workflow's input (ids only: never a number, name or text). Imported by the API. */
export interface ErasureInput {
  /** The erasure record's id (db/erasure-schema.ts): the business key of every step. */
  erasureId: string;
  memberId: string;
  /** Who asked (`<actor kind>:<actor id>`), written to the record if the API crashed before writing it. */
  requestedBy: string;
  /** Every challenge of every crew the member was in, found before their memberships were deleted. */
  challengeIds: string[];
  /** Every mentorship match they were in, as mentee or mentor. */
  matchIds: string[];
  /** Their mentor profiles' ids (`mentor-<id>` workflows end). Absent in erasures that predate it. */
  mentorIds?: string[];
  /**
   * Other payload-codec subjects of their number (`guest:`, `inbound:`, `test-send:` ids), found before the rows
   * went; shredded with the member's own key. Absent in erasures that predate it.
   */
  subjects?: string[];
}

export interface ErasureResult {
  /** Running challenges told to drop the member. */
  challengesTold: number;
  /** Running matches told that a participant was erased. */
  matchesTold: number;
  /** Running mentor workflows told to end (erasures with `erasure-mentor-crew-wait`). */
  mentorsTold?: number;
  /**
   * Challenges that still held the member when the bounded wait for them to drop the member ran out (the key
   * was destroyed anyway); empty when every told challenge dropped them first.
   */
  challengesNotDropped?: string[];
  /**
   * Workflows told of the erasure (the member's own, their matches, their mentor workflows) still running when the
   * bounded wait for them to close ran out (the key was destroyed anyway); absent when all closed first.
   */
  workflowsNotClosed?: string[];
}

/**
 * An erasure by phone (`POST /privacy/erasures`, workflows/erasure/phone.ts) of a number that is not a member's:
 * ids, plus the number sealed under its own subject `erasure:<erasure id>` (db/payload-codec.ts), whose key the
 * workflow destroys last — the number is never in a workflow id, memo or search attribute, nor readable in the
 * history once the erasure is done.
 */
export interface PhoneErasureInput {
  erasureId: string;
  /** Who asked (`<actor kind>:<actor id>`). */
  requestedBy: string;
  target: { subject: `erasure:${string}`; phone: string };
  /** Campaigns not yet over that held a guest entry of the number, with those guest ids. */
  campaigns: { campaignId: string; guestIds: string[] }[];
  /** Payload-codec subjects of the number (`guest:`, `inbound:`, `test-send:` ids), found before the rows went. */
  subjects: string[];
}

export interface PhoneErasureResult {
  /** Running campaigns told to drop the guest. */
  campaignsTold: number;
}
