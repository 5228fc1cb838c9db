/**
 * `guest-campaign-<id>`: one campaign to one guest list. draft (a row, no workflow) → scheduled → running ⇄
 * paused → completed | cancelled. It carries ids only; guests, template and per-guest state live in Postgres.
 *
 * The checkpoint is each guest's state row, written within a quarter of a second of that guest's send (never a
 * batch cursor): the next batch is "guests still pending, or held and due", so a crash, a retry or a resume
 * neither re-texts a guest (the outbox key `campaign:<id>:guest:<guestId>` makes a repeated send a no-op — also
 * for a guest sent just before a crash whose row still says pending) nor skips one. Holds
 * (quiet hours, Florida's window and cap, decided by the messaging core's gate) are retried when they end.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createCampaignActivities, GuestSendResult } from '../../activities/campaigns.js';
import { DB_WRITE, SMS_BATCH } from '../lib/activity-options.js';
import { invalidInput } from '../lib/failures.js';
import {
  cancelUpdate,
  consentSignal,
  deliveryRetrySignal,
  guestsErasedSignal,
  pauseUpdate,
  progressQuery,
  replySignal,
  resumeUpdate,
  setRateUpdate,
  type CampaignCounts,
  type CampaignProgress,
  type GuestCampaignInput,
} from './definitions.js';
import { MAX_SENDER_MPS, MIN_CAMPAIGN_RATE, THROUGHPUT } from './pacing.js';
import { CAMPAIGN_ID_SA, CAMPAIGN_STATUS_SA } from './search-attributes.js';
import type { CampaignStatus } from './values.js';

/** Runs with this marker leave erased guests (`guestsErased`) out of every batch they plan afterwards. */
export const CAMPAIGN_ERASED_DROP_PATCH = 'guest-campaign-erased-drop';

type Acts = ReturnType<typeof createCampaignActivities>;
const db = proxyActivities<Acts>(DB_WRITE);
const sender = proxyActivities<Acts>(SMS_BATCH);

export async function guestCampaignWorkflow(input: GuestCampaignInput): Promise<CampaignProgress> {
  const { campaignId } = input;
  // Throughput defaults (history events per text ≈ 6 per batch ÷ its guests; texts in flight = lanes ×
  // concurrency). Runs started before them keep 25 × 4, one text at a time.
  const tuned = patched('guest-campaign-throughput');
  const batchSize = input.batchSize ?? (tuned ? THROUGHPUT.batchSize : 25);
  const lanes = input.lanes ?? 4;
  const concurrency = input.sendConcurrency ?? (tuned ? THROUGHPUT.sendConcurrency : 1);
  let startAtMs = input.startAtMs ?? null;
  const local = !input.carried && !input.resendRound ? (input.sendAtLocal ?? null) : null;
  let status: CampaignStatus =
    input.carried?.status ??
    (local || (startAtMs !== null && startAtMs > Date.now()) ? 'scheduled' : 'running');
  let rateMps = input.carried ? (input.carried.rateMps ?? null) : (input.rateMps ?? null);
  const maxRateMps = input.maxRateMps ?? MAX_SENDER_MPS;
  const counts: CampaignCounts = input.carried?.counts ?? { sent: 0, skipped: {}, failed: 0, holds: 0 };
  let prepared = input.carried?.prepared ?? input.deliveryRetry ?? false;
  /** A delivery failure put a guest back (second sender) since the last look for due guests. */
  let retryDue = false;
  let inFlightBatches = 0;
  /** Send rounds in this run (`roundsPerRun`). */
  let rounds = 0;
  let nextWakeAtMs: number | null = status === 'scheduled' ? startAtMs : null;
  /** `paused` is the status before a pause (resume returns to it). */
  let beforePause: CampaignStatus = 'running';

  const progress = (): CampaignProgress => ({
    campaignId,
    status,
    counts,
    inFlightBatches,
    nextWakeAtMs,
    rateMps,
  });
  const setStatus = async (next: CampaignStatus) => {
    status = next;
    publish();
    await db.setCampaignStatus({ campaignId, status: next });
  };
  /** The Web UI's current details, and the status search attribute when the run was started with them. */
  const publish = () => {
    const skipped = Object.values(counts.skipped).reduce((a, b) => a + b, 0);
    setCurrentDetails(
      [
        `status: ${status}`,
        `sent ${counts.sent} · skipped ${skipped} · failed ${counts.failed} · holds ${counts.holds}`,
        `rate: ${rateMps === null ? 'fair share of the sender' : `${rateMps}/s`}`,
        input.sendAtLocal ? `each guest at ${input.sendAtLocal.time} local on ${input.sendAtLocal.date}` : '',
        nextWakeAtMs !== null ? `next wake ${new Date(nextWakeAtMs).toISOString()}` : '',
      ]
        .filter(Boolean)
        .join(' · '),
    );
    const sa = workflowInfo().typedSearchAttributes;
    if (sa.get(CAMPAIGN_ID_SA) === undefined || sa.get(CAMPAIGN_STATUS_SA) === status) return;
    upsertSearchAttributes([{ key: CAMPAIGN_STATUS_SA, value: status }]);
  };
  const over = () => status === 'completed' || status === 'cancelled';

  setHandler(progressQuery, progress);
  // Guests' replies and STOP/START: the gate reads consent from Postgres before every text, so a STOP needs no
  // bookkeeping here; replies (RSVPs) are not stored yet.
  setHandler(replySignal, () => undefined);
  setHandler(consentSignal, () => undefined);
  setHandler(deliveryRetrySignal, () => void (retryDue = true));
  /** Guests erased while this run lives (their rows are gone; a due list read before that may still name them). */
  const erasedGuests = new Set<string>();
  setHandler(guestsErasedSignal, ({ guestIds }) => guestIds.forEach((id) => erasedGuests.add(id)));
  setHandler(
    pauseUpdate,
    async () => {
      beforePause = status;
      await setStatus('paused');
      return { status, inFlightBatches };
    },
    {
      validator: () => {
        if (status !== 'running' && status !== 'scheduled')
          throw invalidInput('status', `a ${status} campaign cannot be paused`);
      },
    },
  );
  setHandler(
    resumeUpdate,
    async () => {
      await setStatus(beforePause);
      return progress();
    },
    {
      validator: () => {
        if (status !== 'paused') throw invalidInput('status', `a ${status} campaign cannot be resumed`);
      },
    },
  );
  setHandler(
    cancelUpdate,
    async () => {
      await setStatus('cancelled');
      return progress();
    },
    {
      validator: () => {
        if (over()) throw invalidInput('status', `a ${status} campaign cannot be cancelled`);
      },
    },
  );

  setHandler(
    setRateUpdate,
    async ({ mps }) => {
      rateMps = mps;
      publish();
      await db.setCampaignRate({ campaignId, rateMps: mps });
      return progress();
    },
    {
      validator: (arg) => {
        const mps = (arg as { mps?: unknown } | undefined)?.mps;
        if (typeof mps !== 'number' || !Number.isFinite(mps) || mps < MIN_CAMPAIGN_RATE || mps > maxRateMps)
          throw invalidInput('mps', `must be a number from ${MIN_CAMPAIGN_RATE} to ${maxRateMps}`);
        if (over()) throw invalidInput('status', `a ${status} campaign's rate cannot be changed`);
      },
    },
  );

  publish();
  if (input.deliveryRetry && !input.carried) {
    const now = await db.reopenCampaignForRetry({ campaignId });
    if (now !== 'running') {
      if (now) status = now;
      return progress();
    }
  } else if (!input.carried) await db.setCampaignStatus({ campaignId, status });
  if (local) {
    // Every guest's own send time (held until it); the campaign is `scheduled` until the first one is due.
    const placed = await db.scheduleLocalSends({ campaignId, schedule: local, nowMs: Date.now() });
    if (placed.noConsent > 0) counts.skipped.no_consent = placed.noConsent;
    prepared = true;
    startAtMs = placed.earliestMs;
    nextWakeAtMs = startAtMs;
  }
  if (!input.carried && input.resendRound) {
    await db.prepareCampaignResend({ campaignId, round: input.resendRound });
  }
  if (status === 'scheduled' && startAtMs !== null) {
    await condition(() => status !== 'scheduled', Math.max(0, startAtMs - Date.now()));
  }
  // Past the start (or paused before it: resume then starts at once).
  if (status === 'scheduled') await setStatus('running');
  else if (status === 'paused') beforePause = 'running';
  nextWakeAtMs = null;

  const tally = (r: GuestSendResult) => {
    if (r.outcome === 'sent') counts.sent++;
    else if (r.outcome === 'failed') counts.failed++;
    else if (r.outcome === 'held') counts.holds++;
    else if (r.outcome === 'skipped') counts.skipped[r.reason] = (counts.skipped[r.reason] ?? 0) + 1;
  };

  while (!over()) {
    await condition(() => status === 'running' || over());
    if (over()) break;
    if (!prepared) {
      const { noConsent } = await db.prepareCampaign({ campaignId });
      if (noConsent > 0) counts.skipped.no_consent = noConsent;
      prepared = true;
    }
    if (workflowInfo().continueAsNewSuggested || (input.roundsPerRun && rounds >= input.roundsPerRun)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof guestCampaignWorkflow>({
        ...input,
        carried: { status, counts, prepared, rateMps },
      });
    }
    rounds++;
    const due = await db.dueCampaignGuests({
      campaignId,
      nowMs: Date.now(),
      limit: batchSize * lanes,
    });
    const { nextHoldEndMs } = due;
    let { guestIds } = due;
    if (erasedGuests.size > 0 && patched(CAMPAIGN_ERASED_DROP_PATCH)) {
      guestIds = guestIds.filter((id) => !erasedGuests.has(id));
      if (guestIds.length === 0 && due.guestIds.length > 0) {
        // Only erased guests were due: their rows are going (the erasure's transaction); look again shortly.
        await sleep('1 second');
        continue;
      }
    }
    if (guestIds.length === 0) {
      if (nextHoldEndMs === null) {
        // A guest put back for the second sender since that look: look again rather than complete.
        if (retryDue) {
          retryDue = false;
          continue;
        }
        if (status === 'running') {
          await setStatus('completed');
          // Put back while completing (the signal came with the activity's result): running again.
          if (retryDue) {
            retryDue = false;
            await setStatus('running');
            continue;
          }
        }
        break;
      }
      // Everyone left is held (quiet hours, caps): sleep until the first hold ends, awake for pause/cancel.
      nextWakeAtMs = nextHoldEndMs;
      publish();
      await condition(() => status !== 'running', Math.max(1_000, nextHoldEndMs - Date.now()));
      nextWakeAtMs = null;
      continue;
    }
    const batches: string[][] = [];
    for (let i = 0; i < guestIds.length; i += batchSize) batches.push(guestIds.slice(i, i + batchSize));
    let attempted = 0;
    await Promise.all(
      batches.map(async (ids) => {
        inFlightBatches++;
        try {
          const results = await sender.sendCampaignBatch({
            campaignId,
            guestIds: ids,
            ...(concurrency > 1 && { concurrency }),
          });
          results.forEach(tally);
          publish();
          attempted += results.filter((r) => r.outcome !== 'stopped').length;
        } catch (err) {
          // The batch gave up after its retries (e.g. the provider down for long): its guests stay pending and
          // are picked up again after a pause of a minute.
          if (!(err instanceof ActivityFailure)) throw err;
          await sleep('1 minute');
        } finally {
          inFlightBatches--;
        }
      }),
    );
    // Every batch stopped at once although this run is `running`: the mirrored status in Postgres disagrees
    // (edited by hand?). Write it again rather than spin.
    if (attempted === 0 && status === 'running') {
      await db.setCampaignStatus({ campaignId, status });
      await sleep('1 second');
    }
  }
  await condition(allHandlersFinished);
  return progress();
}
