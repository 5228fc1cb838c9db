/**
 * The guest campaign workflow's updates, query and payload types. Side-effect free: the API imports this file.
 * It also handles the conversation signals (`reply`, `consent`) of `workflows/lib/conversation.ts`.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { LocalSchedule } from './schedule.js';
import type { CampaignStatus } from './values.js';

export { consentSignal, replySignal } from '../lib/conversation.js';

export interface CampaignCounts {
  /** Texts the provider has (each guest at most once). */
  sent: number;
  /** Never texted, by reason (`no_consent`, `suppressed:opt_out`, `no_marketing_consent`, …). */
  skipped: Record<string, number>;
  /** Permanent provider failures. */
  failed: number;
  /** Deferrals by the gate (quiet hours, regional caps): the guest is held and texted when allowed. */
  holds: number;
}

export interface CampaignProgress {
  campaignId: string;
  status: CampaignStatus;
  counts: CampaignCounts;
  /** Send batches running right now. */
  inFlightBatches: number;
  /** While waiting: the start, or the end of the earliest hold (epoch ms). */
  nextWakeAtMs: number | null;
  /** The campaign's own rate limit (segments/s); null = its fair share of the sender. */
  rateMps: number | null;
}

export interface PauseResult {
  status: CampaignStatus;
  /** Batches that were sending when the pause was acknowledged: each stops before its next text. */
  inFlightBatches: number;
}

export const progressQuery = defineQuery<CampaignProgress>('progress');
/** running|scheduled → paused: no text starts after the reply. */
export const pauseUpdate = defineUpdate<PauseResult>('pause');
/** paused → running (a campaign paused while scheduled starts at once). */
export const resumeUpdate = defineUpdate<CampaignProgress>('resume');
/** anything but completed/cancelled → cancelled, for good. */
export const cancelUpdate = defineUpdate<CampaignProgress>('cancel');
/** The campaign's rate while it runs, without a restart: the next text is paced by it. */
export const setRateUpdate = defineUpdate<CampaignProgress, [{ mps: number }]>('setRate');

/**
 * A delivery failure put a guest back for the second sender (db/campaigns.ts `applyCampaignDeliveryFailure`,
 * already committed): look for due guests again before completing. Sent with signal-with-start, so a campaign
 * whose run had ended gets a `deliveryRetry` run.
 */
export const deliveryRetrySignal = defineSignal('deliveryRetry');

/**
 * These guests were erased (workflows/erasure/phone.ts): their rows are gone, and no batch planned after this
 * signal includes them. A batch already sending is stopped at the send gate, which re-reads each guest under the
 * number's lock (activities/messaging.ts `sendSmsWave`). Guest ids only.
 */
export const guestsErasedSignal = defineSignal<[{ guestIds: string[] }]>('guestsErased');

export interface GuestCampaignInput {
  campaignId: string;
  /** Start at this instant (epoch ms); absent or past = now. */
  startAtMs?: number | null;
  /** "Each guest at HH:MM in their own zone" within a send window (instead of `startAtMs`). */
  sendAtLocal?: LocalSchedule | null;
  /** The campaign's own rate limit at the start (segments/s); absent = its fair share of the sender. */
  rateMps?: number | null;
  /** The sender's MPS: `setRate` accepts 0.1 up to this (absent: 1,000, the most SMS_MPS allows). */
  maxRateMps?: number;
  /** Guests per send activity and batches in flight (absent: `THROUGHPUT` in pacing.ts, and 4 lanes). */
  batchSize?: number;
  lanes?: number;
  /** Texts each send activity has in flight at once (absent: `THROUGHPUT`; 1 = one after another). */
  sendConcurrency?: number;
  /**
   * Continue as new after this many send rounds as well as when the server suggests it (tests force the
   * hand-over with it; absent = only when suggested).
   */
  roundsPerRun?: number;
  /** "Send again to those not delivered": this run re-texts only guests whose text failed or was undelivered. */
  resendRound?: number;
  /**
   * Started by a delivery failure after the last run ended: sends only the guests put back for the second sender
   * (the recipients are prepared already); a cancelled campaign stays cancelled.
   */
  deliveryRetry?: boolean;
  /** Carried across continue-as-new. */
  carried?: {
    status: CampaignStatus;
    counts: CampaignCounts;
    prepared: boolean;
    rateMps?: number | null;
  };
}
