/**
 * Guest campaign activities. The workflow carries ids only: these read guests and templates from Postgres,
 * render each text here, and send them in waves through the messaging core's `sendSmsWave` (the same gate,
 * outbox and pacing as `sendSms`, a fixed number of statements per wave) with the business key
 * `campaign:<id>:guest:<guestId>` — so a retried batch (worker crash, resume) never texts a guest twice, and the
 * per-guest states are written after each wave (the checkpoint is the guest, not the batch; a guest sent but not
 * yet marked is found by its key on a retry).
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
  batchRecipients,
  failedMessages,
  markRecipientsSent,
  reopenForDeliveryRetry,
  sendingState,
  setCampaignRate,
  setCampaignStatus,
  setRecipientStates,
  unplacedRecipients,
} from '../db/campaigns.js';
import { campaigns } from '../db/schema.js';
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
import type { CampaignStatus, RecipientState } from '../workflows/guest-campaign/values.js';
import { countSegments } from '../workflows/lib/segments.js';
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

/** A send batch stops taking new guests after this long (well inside SMS_BATCH's 15-minute start-to-close). */
export const BATCH_TIME_BUDGET_MS = 5 * 60_000;
/** A wave is what the campaign's lane releases in this many seconds: a pause stops the texts after it. */
const WAVE_SECONDS = 1;
/** At most this many texts per wave (one gate transaction, one burst). */
export const MAX_WAVE = 100;
/** Where the sender is not paced (the sandbox, no SMS_MPS): texts per wave. */
export const UNPACED_WAVE = 25;

export function createCampaignActivities(
  deps: MessagingDeps & {
    db: Db;
    /** The second sender (TWILIO_SECONDARY_FROM): its own provider, outbox rows and pacing key. */
    secondarySms?: SmsProvider;
  },
) {
  const { db } = deps;
  const primary = createMessagingActivities(deps);
  // The same messaging core (gate, outbox, reconciliation, pacing) over the second sender's provider: a text's
  // idempotency key names its sender, so a retried attempt always goes back to the sender it started with.
  const secondary = deps.secondarySms
    ? createMessagingActivities({ ...deps, sms: deps.secondarySms })
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
     * Send to these guests in waves (the messaging core's `sendSmsWave`): a wave is as many texts as the
     * campaign's lane releases in `WAVE_SECONDS` (at least one, at most `MAX_WAVE`; `UNPACED_WAVE` where the
     * sender is not paced). Per wave: the lane's share reserved at once and waited for, then the campaign's
     * status read — a pause, a cancel or a rate change takes effect on the next wave, and the texts already in
     * flight leave within about a second — then one gate transaction and one burst at the sender's rate, then
     * the guests' states written in one statement each (`sent`; held, skipped and failed). Stops before the next
     * wave once the campaign is no longer `running` or the batch has run for `BATCH_TIME_BUDGET_MS` (the rest
     * come back `stopped` and the workflow hands them out again). A crash loses no text and sends none twice:
     * a guest still pending is found on the retry by its business key (`already_sent`, or an ambiguous attempt
     * reconciled with the provider first). A retryable provider failure fails the batch after its wave's other
     * texts are recorded; a permanent one is that guest's `failed` state. Heartbeats with the guests done.
     * The `concurrency` input of earlier runs is accepted and no longer used.
     */
    async sendCampaignBatch(input: {
      campaignId: string;
      guestIds: string[];
      concurrency?: number;
    }): Promise<GuestSendResult[]> {
      const { campaignId, guestIds } = input;
      const campaign = await db.query.campaigns.findFirst({ where: eq(campaigns.id, campaignId) });
      if (!campaign) throw ApplicationFailure.nonRetryable('campaign not found', 'CampaignNotFound');
      // A/B variants: each guest's text is its stored variant's template (fixed when the recipients were prepared).
      const tokensByVariant = (campaign.variants?.map((v) => v.template) ?? [campaign.template]).map((t) =>
        parseTemplate(t),
      );
      const rows = new Map(
        (await batchRecipients(db, campaignId, guestIds)).map((r) => [r.recipient.guestId, r]),
      );
      const results: (GuestSendResult | undefined)[] = new Array<GuestSendResult | undefined>(
        guestIds.length,
      );
      const deadline = Date.now() + BATCH_TIME_BUDGET_MS;
      const ctx = Context.current();
      const paced = Boolean(deps.smsPerSecond) && deps.sms.name !== 'sandbox';
      let state = await sendingState(db, campaignId);
      let next = 0;
      let failure: Error | null = null;
      while (failure === null && next < guestIds.length) {
        if (state.self?.status !== 'running' || Date.now() > deadline) break;
        const laneMps = deps.smsPerSecond
          ? campaignRate(shared(deps.smsPerSecond), state.self, state.running)
          : 0;
        const size = paced
          ? Math.max(1, Math.min(MAX_WAVE, Math.floor(laneMps * WAVE_SECONDS)))
          : UNPACED_WAVE;
        const wave = guestIds.slice(next, next + size).map((guestId, k) => ({ guestId, i: next + k }));
        const changes: Parameters<typeof setRecipientStates>[2][number][] = [];
        const sent: { guestId: string; messageId: number; round: number; reason: string | null }[] = [];
        const groups = new Map<CampaignSender, Prepared[]>();
        for (const { guestId, i } of wave) {
          const p = prepare(campaign, tokensByVariant, guestId, rows.get(guestId));
          if ('result' in p) {
            results[i] = p.result;
            if (p.change) changes.push({ guestId, ...p.change });
          } else {
            const list = groups.get(p.sender) ?? [];
            list.push({ ...p, i });
            groups.set(p.sender, list);
          }
        }
        let stopped = false;
        for (const [sender, items] of groups) {
          const core = sender === 'secondary' ? secondary! : primary;
          if (laneMps > 0)
            await core.reserveLaneWave(
              { key: `campaign:${campaignId}`, mps: laneMps },
              items.reduce((n, it) => n + countSegments(it.body).segments, 0),
            );
          // Read after the lane's wait, right before the wave goes: what a pause acknowledged before now stops.
          state = await sendingState(db, campaignId);
          if (state.self?.status !== 'running') {
            stopped = true;
            break;
          }
          const outcomes = await core.sendSmsWave(
            items.map((it) => ({
              phone: it.phone,
              timezone: it.timezone,
              input: {
                idempotencyKey: campaignIdempotencyKey(campaignId, it.guestId, it.round, sender),
                to: { guestId: it.guestId },
                kind: CAMPAIGN_KIND,
                purpose: 'marketing',
                body: it.body,
                campaignId,
                // Replies (RSVPs, free text) come back to this campaign through conversation routing.
                expectReply: {
                  accepts: campaignReplyAccepts(campaignId),
                  untilMs: Date.now() + REPLY_WINDOW_MS,
                },
              },
            })),
          );
          for (const [k, o] of outcomes.entries()) {
            const it = items[k]!;
            const guestId = it.guestId;
            if (o.status === 'rejected') {
              const err: unknown = o.reason;
              if (err instanceof ApplicationFailure && err.nonRetryable) {
                changes.push({ guestId, state: 'failed', reason: err.type ?? 'failed' });
                results[it.i] = { guestId, outcome: 'failed' };
              } else failure ??= err instanceof Error ? err : new Error(String(err));
              continue;
            }
            const res = o.value;
            switch (res.outcome) {
              case 'sent':
              case 'already_sent':
                // A text from the second sender keeps why it was sent from there (`second_sender:<code>`); its
                // delivery report may come before the guest is linked to the message: applied below then.
                sent.push({ guestId, messageId: res.messageId, round: it.round, reason: it.sentReason });
                results[it.i] = { guestId, outcome: 'sent' };
                break;
              case 'deferred':
                changes.push({
                  guestId,
                  state: 'held',
                  reason: res.reason,
                  heldUntil: new Date(res.untilMs),
                });
                results[it.i] = { guestId, outcome: 'held', untilMs: res.untilMs };
                break;
              case 'dropped':
                changes.push({ guestId, state: 'skipped', reason: res.reason, messageId: res.messageId });
                results[it.i] = { guestId, outcome: 'skipped', reason: res.reason };
                break;
            }
          }
        }
        // Recorded even when the wave failed or stopped part-way: what was sent, held or skipped stays so.
        await setRecipientStates(db, campaignId, changes);
        if (sent.length) {
          await markRecipientsSent(db, campaignId, sent);
          for (const id of await failedMessages(
            db,
            sent.map((c) => c.messageId),
          ))
            await applyCampaignDeliveryFailure(db, id, { secondaryConfigured: Boolean(secondary) });
        }
        if (stopped) break;
        next += wave.length;
        ctx.heartbeat({ done: next });
      }
      if (failure) throw failure;
      // Not attempted (paused, cancelled, or the time budget spent): handed out again while running.
      // Array.from, not map: a slot never reached is a hole, which map skips (and JSON turns into null).
      return Array.from(results, (r, i) => r ?? ({ guestId: guestIds[i]!, outcome: 'stopped' } as const));
    },
  };

  /**
   * What a guest's text needs before the messaging core's gate: its outcome at once (already sent; a variant,
   * sender, guest, consent or template that rules it out, with the state to record), or its rendered text.
   */
  function prepare(
    campaign: typeof campaigns.$inferSelect,
    tokensByVariant: ReturnType<typeof parseTemplate>[],
    guestId: string,
    row: Awaited<ReturnType<typeof batchRecipients>>[number] | undefined,
  ):
    | {
        result: GuestSendResult;
        change?: { state: RecipientState; reason: string };
      }
    | Omit<Prepared, 'i'> {
    const state = row?.recipient.state;
    const round = row?.recipient.round ?? 0;
    if (state === 'sent') return { result: { guestId, outcome: 'sent' } };
    const tokens = tokensByVariant[row?.recipient.variant ?? 0];
    if (!tokens) {
      // Variants never change after creation; recorded rather than retried should a row disagree.
      return {
        result: { guestId, outcome: 'failed' },
        change: { state: 'failed', reason: 'unknown_variant' },
      };
    }
    const sender: CampaignSender = row?.recipient.sender ?? 'primary';
    if (sender === 'secondary' && !secondary) {
      // Put back for a second sender that this worker does not have (the API and worker configs disagree).
      return {
        result: { guestId, outcome: 'failed' },
        change: { state: 'failed', reason: 'no_second_sender' },
      };
    }
    const guest = row?.guest;
    if (!guest) return { result: { guestId, outcome: 'skipped', reason: 'recipient_not_found' } };
    const skip = (reason: string) => ({
      result: { guestId, outcome: 'skipped', reason } as const,
      change: { state: 'skipped' as const, reason },
    });
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
    return {
      guestId,
      sender,
      round,
      body,
      phone: guest.phone,
      timezone: guest.timezone,
      sentReason:
        sender !== 'secondary'
          ? null
          : row?.recipient.reason?.startsWith('second_sender')
            ? row.recipient.reason
            : 'second_sender',
    };
  }
}

interface Prepared {
  i: number;
  guestId: string;
  sender: CampaignSender;
  round: number;
  body: string;
  phone: string;
  timezone: string;
  /** The recipient's reason once sent (`second_sender:<code>` for the second sender's texts). */
  sentReason: string | null;
}
