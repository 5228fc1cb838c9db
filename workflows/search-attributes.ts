/**
 * The registry of every entity's custom search attributes: `npm start`, the worker, the API and the test servers
 * register these on the namespace (`worker/search-attributes.ts`); on a real cluster run
 * `temporal operator search-attribute create` (README). Each entity defines its own keys in
 * `workflows/<entity>/search-attributes.ts`; a new entity adds its list here.
 */
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes.js';
import { CREW_CHALLENGE_SEARCH_ATTRIBUTES } from './crew-challenge/search-attributes.js';
import { GUEST_CAMPAIGN_SEARCH_ATTRIBUTES } from './guest-campaign/search-attributes.js';
import { MEMBER_SEARCH_ATTRIBUTES } from './member/search-attributes.js';
import { MENTORSHIP_SEARCH_ATTRIBUTES } from './mentorship-match/search-attributes.js';

export const SEARCH_ATTRIBUTES: ReadonlyArray<SearchAttributeKey<'KEYWORD' | 'KEYWORD_LIST'>> = [
  ...MEMBER_SEARCH_ATTRIBUTES,
  ...CREW_CHALLENGE_SEARCH_ATTRIBUTES,
  ...MENTORSHIP_SEARCH_ATTRIBUTES,
  ...GUEST_CAMPAIGN_SEARCH_ATTRIBUTES,
];
