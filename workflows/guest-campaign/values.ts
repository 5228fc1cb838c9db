/**
 * Guest-campaign values shared by the workflow, the API and the database schema (pure: no imports).
 */
/** draft → scheduled → running ⇄ paused → completed | cancelled */
export const CAMPAIGN_STATUSES = [
  'draft',
  'scheduled',
  'running',
  'paused',
  'completed',
  'cancelled',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/**
 * Per-guest send state. `pending`: not yet attempted (or attempted and to be tried again); `held`: the gate
 * deferred it (quiet hours, a regional cap) and it is sent when allowed; `sent`: the provider has it (or the
 * outbox already had it); `skipped`: never texted, with a reason; `failed`: a permanent provider failure.
 */
export const RECIPIENT_STATES = ['pending', 'held', 'sent', 'skipped', 'failed'] as const;
export type RecipientState = (typeof RECIPIENT_STATES)[number];

/** Default and largest segment budget of one campaign message. */
export const DEFAULT_SEGMENT_BUDGET = 2;
export const MAX_SEGMENT_BUDGET = 10;
