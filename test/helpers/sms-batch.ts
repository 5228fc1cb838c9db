import { ApplicationFailure } from '@temporalio/common';
import type { BatchItemResult, SendSmsInput, SendSmsResult } from '../../activities/messaging.js';

/**
 * A fake `sendSmsBatch` over a test's fake `sendSms`, as the messaging core runs a batch: each item through
 * `sendSms` in order; a non-retryable failure is that item's result, any other error fails the whole batch (and
 * Temporal retries it: items already sent answer `already_sent` from the fake's outbox).
 */
export function withSmsBatch<T extends { sendSms(input: SendSmsInput): Promise<SendSmsResult> }>(
  activities: T,
): T & { sendSmsBatch(items: SendSmsInput[]): Promise<BatchItemResult[]> } {
  return {
    ...activities,
    async sendSmsBatch(items: SendSmsInput[]): Promise<BatchItemResult[]> {
      const results: BatchItemResult[] = [];
      for (const item of items) {
        try {
          results.push(await activities.sendSms(item));
        } catch (err) {
          if (err instanceof ApplicationFailure && err.nonRetryable)
            results.push({ outcome: 'failed', reason: err.type ?? err.message });
          else throw err;
        }
      }
      return results;
    },
  };
}
