/**
 * Custom search attributes of mentor and mentorship match workflows (registered through
 * `workflows/search-attributes.ts`). A match carries its mentee as `CrewlineMemberId` (the member workflow's key),
 * so `CrewlineMemberId = "<id>"` lists every workflow of a member — their own, their matches; a mentor's workflow
 * carries their member id too. `CrewlineMentorId` finds a mentor's workflow and every match they hold,
 * `CrewlineMatchStatus` the matches in a state (e.g. the operator queue: `unmatched`).
 */
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';

const keyword = (name: string): SearchAttributeKey<'KEYWORD'> => ({ name, type: 'KEYWORD' });

export const MENTOR_ID_SA = keyword('CrewlineMentorId');
/** requested | offered | active | paused | completed | ended_early | unmatched */
export const MATCH_STATUS_SA = keyword('CrewlineMatchStatus');

/** A cohort's workflow and every match that joined it (`mentorship-cohort-<id>`'s business id). */
export const COHORT_ID_SA = keyword('CrewlineCohortId');

export const MENTORSHIP_SEARCH_ATTRIBUTES = [MENTOR_ID_SA, MATCH_STATUS_SA, COHORT_ID_SA] as const;
