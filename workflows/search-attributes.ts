/**
 * Custom search attributes of member workflows, so operators can filter in the Temporal Web UI
 * (e.g. `CrewlineRiskLevel = "high"`). They must be registered on the namespace: `npm start` and the test
 * servers do it (`MEMBER_SEARCH_ATTRIBUTES`); on a real cluster run `temporal operator search-attribute create`
 * (README). Pure: plain key objects, so workflows, the API and scripts share them.
 */
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';

const keyword = (name: string): SearchAttributeKey<'KEYWORD'> => ({ name, type: 'KEYWORD' });

export const MEMBER_ID_SA = keyword('CrewlineMemberId');
/** pending_confirmation | active | paused | opted_out | erased */
export const MEMBER_STATUS_SA = keyword('CrewlineMemberStatus');
/** low | medium | high */
export const RISK_LEVEL_SA = keyword('CrewlineRiskLevel');

export const MEMBER_SEARCH_ATTRIBUTES = [MEMBER_ID_SA, MEMBER_STATUS_SA, RISK_LEVEL_SA] as const;
