/**
 * Custom search attributes of crew challenge workflows (registered through `workflows/search-attributes.ts`):
 * `CrewlineCrewId = "<crew id>"` finds every challenge of a crew, `CrewlineChallengeStatus` its state, and
 * `CrewlineMemberIds` (a keyword list: every member ever in the challenge) with the member workflow's
 * `CrewlineMemberId` finds every workflow of one member in one query:
 * `CrewlineMemberId = "<id>" OR CrewlineMemberIds = "<id>"`.
 */
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';

const keyword = (name: string): SearchAttributeKey<'KEYWORD'> => ({ name, type: 'KEYWORD' });

export const CREW_ID_SA = keyword('CrewlineCrewId');
/** gathering | active | completed | cancelled */
export const CHALLENGE_STATUS_SA = keyword('CrewlineChallengeStatus');

/** Every member ever in the challenge (leavers stay: the challenge still holds their answers). */
export const CHALLENGE_MEMBER_IDS_SA: SearchAttributeKey<'KEYWORD_LIST'> = {
  name: 'CrewlineMemberIds',
  type: 'KEYWORD_LIST',
};

export const CREW_CHALLENGE_SEARCH_ATTRIBUTES = [
  CREW_ID_SA,
  CHALLENGE_STATUS_SA,
  CHALLENGE_MEMBER_IDS_SA,
] as const;
