/**
 * What a failed delivery of a campaign text leads to (pure: the status-callback route and the send activity both
 * apply it through db/campaigns.ts). Twilio reports carrier filtering (30007) and an unreachable handset (30003)
 * by status callback, possibly late and out of order; the guest is marked with the code and, where a second
 * sender is configured, texted once more from it — never a third time, never after a `delivered`, never for a
 * cancelled campaign.
 *
 * 30005 (unknown or inactive number) and 30006 (landline or unreachable carrier) say something about the number,
 * not the route: the number is suppressed as invalid (db/status.ts) and a second sender would not reach it either,
 * so those guests are marked, not retried.
 */
import type { CampaignStatus } from './values.js';

/** Which sender a guest's current text goes from: the configured one, or the second sender after a failure. */
export const CAMPAIGN_SENDERS = ['primary', 'secondary'] as const;
export type CampaignSender = (typeof CAMPAIGN_SENDERS)[number];

/** 30003 unreachable destination handset, 30007 message filtered (carrier filtering). */
export const SECOND_SENDER_CODES: readonly number[] = [30003, 30007];
/** Delivery failures marked on the guest (`undelivered:<code>`) whether or not they are retried. */
export const MARKED_CODES: readonly number[] = [30003, 30005, 30006, 30007];

export interface DeliveryFacts {
  /** The message's status after the report was applied (statuses only move forward). */
  messageStatus: string;
  errorCode: number | null;
  /** The guest's state and the sender its current text went from. */
  recipientState: string;
  sender: CampaignSender;
  campaignStatus: CampaignStatus;
  secondaryConfigured: boolean;
}

export type DeliveryDecision =
  | { action: 'none' }
  /** Keep the guest `sent`, with reason `undelivered:<code>`. */
  | { action: 'mark'; reason: string }
  /** Back to `pending` for the second sender, with reason `second_sender:<code>`. */
  | { action: 'retry'; reason: string };

export function deliveryDecision(f: DeliveryFacts): DeliveryDecision {
  if (f.recipientState !== 'sent') return { action: 'none' };
  if (f.messageStatus !== 'undelivered' && f.messageStatus !== 'failed') return { action: 'none' };
  if (f.errorCode === null || !MARKED_CODES.includes(f.errorCode)) return { action: 'none' };
  const retry =
    f.secondaryConfigured &&
    f.sender === 'primary' &&
    SECOND_SENDER_CODES.includes(f.errorCode) &&
    f.campaignStatus !== 'cancelled' &&
    f.campaignStatus !== 'draft';
  return retry
    ? { action: 'retry', reason: `second_sender:${f.errorCode}` }
    : { action: 'mark', reason: `undelivered:${f.errorCode}` };
}
