/**
 * Guest campaign activities. The workflow carries ids only: these read guests and templates from Postgres,
 * render each text here, and send it through the messaging core's `sendSms` (gate, outbox, pacing) with the
 * business key `campaign:<id>:guest:<guestId>` — so a retried batch (worker crash, resume) never texts a guest
 * twice, and the per-guest state follows each send within a quarter of a second (the checkpoint is the guest,
 * not the batch; a guest sent but not yet marked is found by its key on a retry).
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
  setRecipientState,
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

/** A send batch stops taking new guests after this long (well inside SMS_BATCH's 15-minute start-to-close). */
export const BATCH_TIME_BUDGET_MS = 5 * 60_000;
/** Buffered `sent` states are written every this many texts, and at least this often (ms). */
const SENT_FLUSH_EVERY = 50;
const SENT_FLUSH_MS = 250;
/** A send batch keeps at most its lane's rate × this many texts in flight. */
const IN_FLIGHT_SECONDS = 0.25;

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
     * Send to these guests (pacing is the messaging core's), `concurrency` texts at a time (default one after
     * another); stops before the next guest as soon as the campaign is no longer `running` in Postgres, or once
     * the batch has run for `BATCH_TIME_BUDGET_MS` (the rest come back `stopped` and the workflow hands them out
     * again), so a batch never outlives its start-to-close timeout at a low rate. Guests are read with their
     * recipient rows in one query; `sent` states are written in bulk (every `SENT_FLUSH_EVERY` texts, every
     * `SENT_FLUSH_MS` and before returning or failing) — a crash before a flush loses no text and sends none
     * twice: the guest is still pending and its retry finds its outbox row by the business key
     * (`already_sent`). Other states are written at once. Heartbeats with the number of guests done.
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
      let pendingSent: { guestId: string; messageId: number; round: number; reason: string | null }[] = [];
      let flushing: Promise<void> = Promise.resolve();
      const flush = () => {
        const chunk = pendingSent;
        pendingSent = [];
        // A failed flush loses nothing (its guests stay pending; a retry finds their texts by key): the next
        // flush does not inherit its failure.
        flushing = flushing
          .catch(() => undefined)
          .then(async () => {
            if (!chunk.length) return;
            await markRecipientsSent(db, campaignId, chunk);
            // A delivery report that came before its guest was linked to the message is applied now.
            for (const id of await failedMessages(
              db,
              chunk.map((c) => c.messageId),
            ))
              await applyCampaignDeliveryFailure(db, id, { secondaryConfigured: Boolean(secondary) });
          });
        return flushing;
      };
      const timer = setInterval(() => void flush().catch(() => undefined), SENT_FLUSH_MS);
      let next = 0;
      let done = 0;
      let stop = false;
      let failure: Error | null = null;
      const lane = async () => {
        while (!stop && failure === null && next < guestIds.length) {
          const i = next++;
          const guestId = guestIds[i]!;
          // Read before every text: a pause, a cancel or a rate change takes effect on the next send.
          const { self, running } = await sendingState(db, campaignId);
          if (self?.status !== 'running' || Date.now() > deadline) {
            stop = true;
            break;
          }
          const row = rows.get(guestId);
          const pace = deps.smsPerSecond
            ? { key: `campaign:${campaignId}`, mps: campaignRate(shared(deps.smsPerSecond), self, running) }
            : undefined;
          try {
            results[i] = await sendOne(
              campaign,
              tokensByVariant,
              guestId,
              row,
              pace,
              (messageId, round, reason) => {
                pendingSent.push({ guestId, messageId, round, reason });
                if (pendingSent.length >= SENT_FLUSH_EVERY) void flush().catch(() => undefined);
              },
            );
          } catch (err) {
            failure ??= err instanceof Error ? err : new Error(String(err));
            break;
          }
          done++;
          ctx.heartbeat({ done });
        }
      };
      // Texts in flight: as many as the lane's rate releases in IN_FLIGHT_SECONDS (at least one), at most
      // `concurrency` — so the texts a pause finds in flight leave within a second. Unpaced (the sandbox, no
      // SMS_MPS): one after another.
      let workers = 1;
      if (deps.smsPerSecond && deps.sms.name !== 'sandbox' && (input.concurrency ?? 1) > 1) {
        const { self, running } = await sendingState(db, campaignId);
        const mps = self ? campaignRate(shared(deps.smsPerSecond), self, running) : 0;
        workers = Math.max(1, Math.min(input.concurrency ?? 1, Math.ceil(mps * IN_FLIGHT_SECONDS)));
      }
      try {
        await Promise.all(Array.from({ length: Math.min(workers, guestIds.length) }, lane));
      } finally {
        clearInterval(timer);
        await flush();
      }
      // (Set by the lanes: TypeScript does not see closures assign it.)
      const failed = failure as Error | null;
      if (failed) throw failed;
      // Not attempted (paused, cancelled, or the time budget spent): handed out again while running.
      // Array.from, not map: a slot never reached is a hole, which map skips (and JSON turns into null).
      return Array.from(results, (r, i) => r ?? ({ guestId: guestIds[i]!, outcome: 'stopped' } as const));
    },
  };

  async function sendOne(
    campaign: typeof campaigns.$inferSelect,
    tokensByVariant: ReturnType<typeof parseTemplate>[],
    guestId: string,
    row: Awaited<ReturnType<typeof batchRecipients>>[number] | undefined,
    lane: { key: string; mps: number } | undefined,
    onSent: (messageId: number, round: number, reason: string | null) => void,
  ): Promise<GuestSendResult> {
    const campaignId = campaign.id;
    const state = row?.recipient.state;
    const round = row?.recipient.round ?? 0;
    if (state === 'sent') return { guestId, outcome: 'sent' };
    const tokens = tokensByVariant[row?.recipient.variant ?? 0];
    if (!tokens) {
      // Variants never change after creation; recorded rather than retried should a row disagree.
      await setRecipientState(db, campaignId, guestId, { state: 'failed', reason: 'unknown_variant' });
      return { guestId, outcome: 'failed' };
    }
    const sender: CampaignSender = row?.recipient.sender ?? 'primary';
    const send = sender === 'secondary' ? secondary : sendSms;
    if (!send) {
      // Put back for a second sender that this worker does not have (the API and worker configs disagree).
      await setRecipientState(db, campaignId, guestId, { state: 'failed', reason: 'no_second_sender' });
      return { guestId, outcome: 'failed' };
    }
    const guest = row?.guest;
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
        idempotencyKey: campaignIdempotencyKey(campaignId, guestId, round, sender),
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
        // A text from the second sender keeps why it was sent from there (`second_sender:<code>`); its delivery
        // report may come before the guest is linked to the message: the flush applies it then.
        onSent(
          res.messageId,
          round,
          sender !== 'secondary'
            ? null
            : row?.recipient.reason?.startsWith('second_sender')
              ? row.recipient.reason
              : 'second_sender',
        );
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
