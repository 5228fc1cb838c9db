/**
 * Custom search attributes of crew challenge workflows (registered through `workflows/search-attributes.ts`):
 * `CrewlineCrewId = "<crew id>"` finds every challenge of a crew, `CrewlineChallengeStatus` its state.
 */
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';

const keyword = (name: string): SearchAttributeKey<'KEYWORD'> => ({ name, type: 'KEYWORD' });

export const CREW_ID_SA = keyword('CrewlineCrewId');
/** gathering | active | completed | cancelled */
export const CHALLENGE_STATUS_SA = keyword('CrewlineChallengeStatus');

export const CREW_CHALLENGE_SEARCH_ATTRIBUTES = [CREW_ID_SA, CHALLENGE_STATUS_SA] as const;
