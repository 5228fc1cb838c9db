/**
 * `bulk-<key>`: many texts through the messaging core, in batches of recipients per activity on the paced
 * sender queue (a sliding window of `lanes` batches in flight). Items the gate defers (quiet hours, caps) are
 * sent again after a durable timer. Keep one workflow's items to a few hundred (payload limits); a campaign
 * fans out over several of these.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { BatchItemResult, createMessagingActivities, SendSmsInput } from '../../activities/messaging.js';
import { SMS_BATCH } from '../lib/activity-options.js';
import { markedSendInput } from '../lib/outbound.js';

const { sendSmsBatch } = proxyActivities<ReturnType<typeof createMessagingActivities>>(SMS_BATCH);

export interface BulkInput {
  items: SendSmsInput[];
  batchSize?: number;
  lanes?: number;
}

export interface BulkSummary {
  sent: number;
  alreadySent: number;
  dropped: number;
  failed: number;
  deferralRounds: number;
}

export async function bulkMessageWorkflow(input: BulkInput): Promise<BulkSummary> {
  const batchSize = input.batchSize ?? 50;
  const lanes = input.lanes ?? 4;
  const summary: BulkSummary = { sent: 0, alreadySent: 0, dropped: 0, failed: 0, deferralRounds: 0 };
  let pending = input.items;
  for (let round = 0; pending.length > 0 && round < 20; round++) {
    const batches: SendSmsInput[][] = [];
    for (let i = 0; i < pending.length; i += batchSize) batches.push(pending.slice(i, i + batchSize));
    const deferred: Array<{ item: SendSmsInput; untilMs: number }> = [];
    let next = 0;
    const lane = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const results: BatchItemResult[] = await sendSmsBatch(batch.map(markedSendInput));
        results.forEach((r, i) => {
          if (r.outcome === 'sent') summary.sent++;
          else if (r.outcome === 'already_sent') summary.alreadySent++;
          else if (r.outcome === 'dropped') summary.dropped++;
          else if (r.outcome === 'failed') summary.failed++;
          else deferred.push({ item: batch[i]!, untilMs: r.untilMs });
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(lanes, batches.length) }, lane));
    if (deferred.length === 0) break;
    summary.deferralRounds++;
    const wakeAt = Math.min(...deferred.map((d) => d.untilMs));
    await sleep(Math.max(1_000, wakeAt - Date.now()));
    pending = deferred.map((d) => d.item);
  }
  return summary;
}
