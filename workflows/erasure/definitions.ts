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
}
