/**
 * Erasure of a participant (issue 12 §2), pure. Matches with `MATCH_ERASURE_PATCH` end in any state:
 * - the mentee erased: a request still `requested` or `offered` ends (status `ended_early`, reason
 *   `ERASED_END_REASON`); a mentor who had been sent the live offer gets the plain "your mentorship has ended"
 *   text and nothing else; an active or paused match ends early and the mentor gets the same text;
 * - the mentor holding the slot erased: the match ends early, the mentee gets the same text, no detail of why;
 * - a mentor erased while an offer waits on them: the offer is withdrawn (`mentor erased`) and the request goes
 *   on to the next candidate, as after a NO; an erased mentor later in the list is never offered.
 * The erased side is never texted. A mentor who only once had an offer of this match (declined, expired) is no
 * participant: their erasure changes nothing here. Before the patch, only an active or paused match ended, on
 * anybody's erasure.
 */
import type { MatchStatus } from './values.js';

/** The patch marker of the erasure rules above. */
export const MATCH_ERASURE_PATCH = 'mentorship-erasure-any-status';

/** Stored as the match's end reason: names no one. */
export const ERASED_END_REASON = 'participant erased';

/** Whether an erasure ends the match now (a match already ending keeps its own reason). Before the patch. */
export const erasureEnds = (status: MatchStatus, endRequested: string | null): boolean =>
  (status === 'active' || status === 'paused') && endRequested === null;

/** Which side of a pairing (mentee, or the given mentor's member) the erased member is, or null for neither. */
export function erasedParty(
  erasedMemberId: string,
  menteeMemberId: string,
  mentorMemberId: string | null,
): 'mentee' | 'mentor' | null {
  if (erasedMemberId === menteeMemberId) return 'mentee';
  if (mentorMemberId !== null && erasedMemberId === mentorMemberId) return 'mentor';
  return null;
}

/**
 * A request that joined a cohort and whose mentee was erased before the cohort answered: when the cohort's answer
 * (a slot it reserved for the request) still reaches the ending match, the match frees that slot. Runs from before
 * kept it (the erased request held a mentor's capacity).
 */
export const COHORT_ERASED_RELEASE_PATCH = 'mentorship-cohort-erased-release';
