/**
 * Custom search attributes of member workflows, so operators can filter in the Temporal Web UI
 * (e.g. `CrewlineRiskLevel = "high"`). They are registered on the namespace through the generic list in
 * `workflows/search-attributes.ts`. Pure: plain key objects, so the workflow, the API and tests share them.
 */
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';

const keyword = (name: string): SearchAttributeKey<'KEYWORD'> => ({ name, type: 'KEYWORD' });

export const MEMBER_ID_SA = keyword('CrewlineMemberId');
/** pending_confirmation | active | paused | opted_out | erased */
export const MEMBER_STATUS_SA = keyword('CrewlineMemberStatus');
/** low | medium | high */
export const RISK_LEVEL_SA = keyword('CrewlineRiskLevel');

export const MEMBER_SEARCH_ATTRIBUTES = [MEMBER_ID_SA, MEMBER_STATUS_SA, RISK_LEVEL_SA] as const;
