/**
 * Custom search attributes of guest campaign workflows (registered through `workflows/search-attributes.ts`):
 * `CrewlineCampaignId = "<campaign id>"` finds a campaign's runs (the send and every resend round),
 * `CrewlineCampaignStatus` its state.
 */
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';

const keyword = (name: string): SearchAttributeKey<'KEYWORD'> => ({ name, type: 'KEYWORD' });

export const CAMPAIGN_ID_SA = keyword('CrewlineCampaignId');
/** scheduled | running | paused | completed | cancelled */
export const CAMPAIGN_STATUS_SA = keyword('CrewlineCampaignStatus');

export const GUEST_CAMPAIGN_SEARCH_ATTRIBUTES = [CAMPAIGN_ID_SA, CAMPAIGN_STATUS_SA] as const;
