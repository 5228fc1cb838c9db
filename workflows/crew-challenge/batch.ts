/**
 * The challenge's texts to many members at once (runs with `crew-day-batched`): one `sendSmsBatch` activity per
 * up to BATCH_SIZE texts instead of one `sendSms` activity per member, so a crew's question, pulse or summary is
 * three history events instead of three per member. Each text still goes through the messaging core's `sendSms`
 * (inside the batch): the same gate (suppression, consent per purpose, the daily cap, quiet hours), the same outbox
 * claim by its business key (a retried batch re-sends nothing already handed over) and the same provider
 * classification. A text the gate defers waits on a durable timer and is asked again alone with the others due,
 * at most MAX_DEFERRALS times (the one bound of workflows/lib/outbound.ts, as `sendMessage` has for one text).
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { BatchItemResult, createMessagingActivities, SendSmsInput } from '../../activities/messaging.js';
import { SMS_BATCH } from '../lib/activity-options.js';
import { markedQuotingInput, MAX_DEFERRALS, type MessageOutcome } from '../lib/outbound.js';
import type { Subject } from '../lib/subject.js';

const { sendSmsBatch } = proxyActivities<ReturnType<typeof createMessagingActivities>>(SMS_BATCH);

/** Texts per activity: a crew's day in one (the payload stays far below Temporal's limits). */
export const BATCH_SIZE = 50;

/** A text still to send: its input, when it may be asked again, and how often it was deferred. */
export interface PendingText {
  index: number;
  untilMs: number;
  deferrals: number;
}

/**
 * One round's plan (pure): the texts due now (in input order, in batches of BATCH_SIZE), and the instant of the
 * next round when some wait (null = none wait).
 */
export function planRound(
  pending: readonly PendingText[],
  nowMs: number,
): { batches: PendingText[][]; nextAtMs: number | null } {
  const due = pending.filter((p) => p.untilMs <= nowMs).sort((a, b) => a.index - b.index);
  const waiting = pending.filter((p) => p.untilMs > nowMs);
  const batches: PendingText[][] = [];
  for (let i = 0; i < due.length; i += BATCH_SIZE) batches.push(due.slice(i, i + BATCH_SIZE));
  return {
    batches,
    nextAtMs: waiting.length ? Math.min(...waiting.map((p) => p.untilMs)) : null,
  };
}

/**
 * Applies one batch's results (pure): a settled text gets its outcome, a deferred one waits until its instant
 * (at least a second ahead) or fails as `too_many_deferrals` after MAX_DEFERRALS.
 */
export function applyResults(
  batch: readonly PendingText[],
  results: readonly BatchItemResult[],
  nowMs: number,
  outcomes: (MessageOutcome | undefined)[],
): PendingText[] {
  const waiting: PendingText[] = [];
  batch.forEach((p, i) => {
    const r = results[i];
    if (!r) outcomes[p.index] = { outcome: 'failed', reason: 'no_result' };
    else if (r.outcome !== 'deferred') outcomes[p.index] = r;
    else if (p.deferrals + 1 >= MAX_DEFERRALS)
      outcomes[p.index] = { outcome: 'failed', reason: 'too_many_deferrals' };
    else
      waiting.push({
        index: p.index,
        untilMs: Math.max(nowMs + 1_000, r.untilMs),
        deferrals: p.deferrals + 1,
      });
  });
  return waiting;
}

/** Every text sent (or settled), each outcome in its input's slot. */
export async function sendEach(
  inputs: readonly SendSmsInput[],
  quoting: ReadonlyArray<ReadonlyArray<Subject | null>> = [],
): Promise<MessageOutcome[]> {
  const outcomes: (MessageOutcome | undefined)[] = new Array(inputs.length);
  // The bodies are personal data of their recipients: each item sealed with its member's key in the history,
  // and with the key of everyone it quotes (a crewmate's reflection in the pulse).
  const marked = inputs.map((input, i) => markedQuotingInput(input, quoting[i] ?? []));
  let pending: PendingText[] = inputs.map((_, index) => ({ index, untilMs: 0, deferrals: 0 }));
  while (pending.length > 0) {
    const { batches, nextAtMs } = planRound(pending, Date.now());
    if (batches.length === 0) {
      await sleep(Math.max(1_000, nextAtMs! - Date.now()));
      continue;
    }
    const sentNow = new Set(batches.flat().map((p) => p.index));
    const waitingBefore = pending.filter((p) => !sentNow.has(p.index));
    const waitingAfter = await Promise.all(
      batches.map(async (batch) => {
        let results: BatchItemResult[];
        try {
          results = await sendSmsBatch(batch.map((p) => marked[p.index]!));
        } catch (err) {
          // Retries exhausted (or a non-retryable failure of the whole batch): every text of it failed.
          if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
            const reason = err.cause.type ?? err.cause.message;
            results = batch.map(() => ({ outcome: 'failed', reason }));
          } else throw err;
        }
        return applyResults(batch, results, Date.now(), outcomes);
      }),
    );
    pending = [...waitingBefore, ...waitingAfter.flat()];
  }
  return outcomes.map((o) => o ?? { outcome: 'failed', reason: 'no_result' });
}
