/**
 * Guest campaign activities. The workflow carries ids only: these read guests and templates from Postgres,
 * render each text here, and send it through the messaging core's `sendSms` (gate, outbox, pacing) with the
 * business key `campaign:<id>:guest:<guestId>` — so a retried batch (worker crash, resume) never texts a guest
 * twice, and the per-guest state is written right after each send (the checkpoint is the guest, not the batch).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import {
  applyCampaignDeliveryFailure,
  dueRecipients,
  holdRecipients,
  nextHoldEnd,
  prepareRecipients,
  prepareResend,
  recipientsOf,
  reopenForDeliveryRetry,
  sendingState,
  setCampaignRate,
  setCampaignStatus,
  setRecipientState,
  unplacedRecipients,
} from '../db/campaigns.js';
import { campaigns, guests } from '../db/schema.js';
import {
  guestVariables,
  parseTemplate,
  previewFor,
  TemplateError,
} from '../workflows/guest-campaign/template.js';
import { campaignReplyAccepts, REPLY_WINDOW_MS } from '../workflows/guest-campaign/replies.js';
import { campaignRate } from '../workflows/guest-campaign/pacing.js';
import { localDueAt, type LocalSchedule } from '../workflows/guest-campaign/schedule.js';
import type { CampaignSender } from '../workflows/guest-campaign/delivery.js';
import type { CampaignStatus } from '../workflows/guest-campaign/values.js';
import { DEFAULT_POLICY, effectivePolicy } from '../workflows/lib/compliance.js';
import { CAMPAIGN_KIND } from './sms/validity.js';
import { createMessagingActivities, pacingMargin, type MessagingDeps } from './messaging.js';
import type { SmsProvider } from './sms/provider.js';

export type GuestSendResult =
  | { guestId: string; outcome: 'sent' }
  | { guestId: string; outcome: 'held'; untilMs: number }
  | { guestId: string; outcome: 'skipped'; reason: string }
  | { guestId: string; outcome: 'failed' }
  /** Not attempted: the campaign was paused or cancelled before this guest's turn. */
  | { guestId: string; outcome: 'stopped' };

export const campaignIdempotencyKey = (
  campaignId: string,
  guestId: string,
  round = 0,
  sender: CampaignSender = 'primary',
) =>
  `campaign:${campaignId}:guest:${guestId}${round > 0 ? `:resend:${round}` : ''}${sender === 'secondary' ? ':second-sender' : ''}`;

/**
 * The part of the sender shared between campaigns: what its pacing actually releases (MPS ÷ its margin), so the
 * campaigns' lanes together never outrun the sender — else texts queue at the sender's slot, where a campaign
 * with more batches in flight would get more than its share.
 */
const shared = (senderMps: number) => senderMps / pacingMargin(senderMps);

export function createCampaignActivities(
  deps: MessagingDeps & {
    db: Db;
    /** The second sender (TWILIO_SECONDARY_FROM): its own provider, outbox rows and pacing key. */
    secondarySms?: SmsProvider;
  },
) {
  const { db } = deps;
  const { sendSms } = createMessagingActivities(deps);
  // The same messaging core (gate, outbox, reconciliation, pacing) over the second sender's provider: a text's
  // idempotency key names its sender, so a retried attempt always goes back to the sender it started with.
  const secondary = deps.secondarySms
    ? createMessagingActivities({ ...deps, sms: deps.secondarySms }).sendSms
    : undefined;

  return {
    /** Mirror the workflow's status (the send activity reads `paused`/`cancelled` before each text). */
    async setCampaignStatus(input: { campaignId: string; status: CampaignStatus }): Promise<void> {
      await setCampaignStatus(db, input.campaignId, input.status);
    },

    /** One state row per guest of the list (idempotent); how many are skipped for want of consent. */
    async prepareCampaign(input: { campaignId: string }): Promise<{ noConsent: number }> {
      return prepareRecipients(db, input.campaignId);
    },

    /** The campaign's own rate limit (segments/s; null = its fair share): the next text is paced by it. */
    async setCampaignRate(input: { campaignId: string; rateMps: number | null }): Promise<void> {
      await setCampaignRate(db, input.campaignId, input.rateMps);
    },

    /**
     * "Each guest at HH:MM in their own zone": one state row per guest (as prepareCampaign), then every pending
     * guest not placed yet whose local time is still ahead is held (`local_time`) until it — the campaign's
     * send window and the guest's quiet hours included. Idempotent. Returns the earliest hold (null: all due).
     */
    async scheduleLocalSends(input: {
      campaignId: string;
      schedule: LocalSchedule;
      nowMs: number;
    }): Promise<{ noConsent: number; earliestMs: number | null; held: number }> {
      const { noConsent } = await prepareRecipients(db, input.campaignId);
      const policy = deps.policy ?? DEFAULT_POLICY;
      const holds: { guestId: string; until: Date }[] = [];
      for (const g of await unplacedRecipients(db, input.campaignId)) {
        const quiet = effectivePolicy(policy, 'marketing', g.phone).window;
        const due = localDueAt({ schedule: input.schedule, timezone: g.timezone, nowMs: input.nowMs, quiet });
        if (due > input.nowMs) holds.push({ guestId: g.guestId, until: new Date(due) });
      }
      const held = await holdRecipients(db, input.campaignId, 'local_time', holds);
      const earliest = await nextHoldEnd(db, input.campaignId, new Date(input.nowMs));
      return { noConsent, earliestMs: earliest?.getTime() ?? null, held };
    },

    /**
     * A run started by a delivery failure after the campaign's last run ended (`deliveryRetry`): `running` again
     * unless it was cancelled meanwhile. Returns the status the campaign now has.
     */
    async reopenCampaignForRetry(input: { campaignId: string }): Promise<CampaignStatus | null> {
      return reopenForDeliveryRetry(db, input.campaignId);
    },

    /** Resend round `round`: guests not delivered go back to pending; returns how many. */
    async prepareCampaignResend(input: { campaignId: string; round: number }): Promise<number> {
      return prepareResend(db, input.campaignId, input.round);
    },

    /** Up to `limit` guests due now (ids only), and the earliest end of a hold still in force. */
    async dueCampaignGuests(input: {
      campaignId: string;
      nowMs: number;
      limit: number;
    }): Promise<{ guestIds: string[]; nextHoldEndMs: number | null }> {
      const now = new Date(input.nowMs);
      const guestIds = await dueRecipients(db, input.campaignId, now, input.limit);
      const next = guestIds.length ? null : await nextHoldEnd(db, input.campaignId, now);
      return { guestIds, nextHoldEndMs: next?.getTime() ?? null };
    },

    /**
     * Send to these guests one after another (pacing is the messaging core's); stops before the next guest as
     * soon as the campaign is no longer `running` in Postgres. Heartbeats per guest.
     */
    async sendCampaignBatch(input: { campaignId: string; guestIds: string[] }): Promise<GuestSendResult[]> {
      const campaign = await db.query.campaigns.findFirst({ where: eq(campaigns.id, input.campaignId) });
      if (!campaign) throw ApplicationFailure.nonRetryable('campaign not found', 'CampaignNotFound');
      // A/B variants: each guest's text is its stored variant's template (fixed when the recipients were prepared).
      const tokensByVariant = (campaign.variants?.map((v) => v.template) ?? [campaign.template]).map((t) =>
        parseTemplate(t),
      );
      const states = new Map(
        (await recipientsOf(db, input.campaignId, input.guestIds)).map((r) => [r.guestId, r]),
      );
      const results: GuestSendResult[] = [];
      for (const [i, guestId] of input.guestIds.entries()) {
        // Read before every text: a pause, a cancel or a rate change takes effect on the next send.
        const { self, running } = await sendingState(db, input.campaignId);
        if (self?.status !== 'running') {
          results.push(
            ...input.guestIds.slice(i).map((id) => ({ guestId: id, outcome: 'stopped' }) as const),
          );
          break;
        }
        const st = states.get(guestId);
        const lane = deps.smsPerSecond
          ? {
              key: `campaign:${input.campaignId}`,
              mps: campaignRate(shared(deps.smsPerSecond), self, running),
            }
          : undefined;
        const tokens = tokensByVariant[st?.variant ?? 0];
        if (!tokens) {
          // Variants never change after creation; recorded rather than retried should a row disagree.
          await setRecipientState(db, input.campaignId, guestId, {
            state: 'failed',
            reason: 'unknown_variant',
          });
          results.push({ guestId, outcome: 'failed' });
          continue;
        }
        results.push(
          await sendOne(campaign, tokens, guestId, st?.state, st?.round ?? 0, lane, {
            sender: st?.sender ?? 'primary',
            reason: st?.reason ?? null,
          }),
        );
        Context.current().heartbeat(i);
      }
      return results;
    },
  };

  async function sendOne(
    campaign: typeof campaigns.$inferSelect,
    tokens: ReturnType<typeof parseTemplate>,
    guestId: string,
    state: string | undefined,
    round: number,
    lane: { key: string; mps: number } | undefined,
    via: { sender: CampaignSender; reason: string | null },
  ): Promise<GuestSendResult> {
    const campaignId = campaign.id;
    if (state === 'sent') return { guestId, outcome: 'sent' };
    const send = via.sender === 'secondary' ? secondary : sendSms;
    if (!send) {
      // Put back for a second sender that this worker does not have (the API and worker configs disagree).
      await setRecipientState(db, campaignId, guestId, { state: 'failed', reason: 'no_second_sender' });
      return { guestId, outcome: 'failed' };
    }
    const guest = await db.query.guests.findFirst({ where: eq(guests.id, guestId) });
    if (!guest) return { guestId, outcome: 'skipped', reason: 'recipient_not_found' };
    const skip = async (reason: string): Promise<GuestSendResult> => {
      await setRecipientState(db, campaignId, guestId, { state: 'skipped', reason });
      return { guestId, outcome: 'skipped', reason };
    };
    if (!guest.consent) return skip('no_consent');
    let body: string;
    try {
      const preview = previewFor(tokens, guestVariables(guest), campaign.brand, campaign.segmentBudget);
      if (!preview.withinBudget) return skip('over_segment_budget');
      body = preview.body;
    } catch (err) {
      if (err instanceof TemplateError) return skip('missing_variable');
      throw err;
    }
    let res;
    try {
      res = await send({
        idempotencyKey: campaignIdempotencyKey(campaignId, guestId, round, via.sender),
        to: { guestId },
        kind: CAMPAIGN_KIND,
        purpose: 'marketing',
        body,
        campaignId,
        // Replies (RSVPs, free text) come back to this campaign through conversation routing.
        expectReply: { accepts: campaignReplyAccepts(campaignId), untilMs: Date.now() + REPLY_WINDOW_MS },
        ...(lane && { lane }),
      });
    } catch (err) {
      if (err instanceof ApplicationFailure && err.nonRetryable) {
        await setRecipientState(db, campaignId, guestId, { state: 'failed', reason: err.type ?? 'failed' });
        return { guestId, outcome: 'failed' };
      }
      throw err;
    }
    switch (res.outcome) {
      case 'sent':
      case 'already_sent':
        await setRecipientState(db, campaignId, guestId, {
          state: 'sent',
          messageId: res.messageId,
          // A text from the second sender keeps why it was sent from there (`second_sender:<code>`).
          reason:
            via.sender !== 'secondary'
              ? null
              : via.reason?.startsWith('second_sender')
                ? via.reason
                : 'second_sender',
        });
        // Its delivery report may have come before the guest was linked to the message: apply it now.
        await applyCampaignDeliveryFailure(db, res.messageId, { secondaryConfigured: Boolean(secondary) });
        return { guestId, outcome: 'sent' };
      case 'deferred':
        await setRecipientState(db, campaignId, guestId, {
          state: 'held',
          reason: res.reason,
          heldUntil: new Date(res.untilMs),
        });
        return { guestId, outcome: 'held', untilMs: res.untilMs };
      case 'dropped':
        await setRecipientState(db, campaignId, guestId, {
          state: 'skipped',
          reason: res.reason,
          messageId: res.messageId,
        });
        return { guestId, outcome: 'skipped', reason: res.reason };
    }
  }
}
