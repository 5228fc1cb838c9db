import { Context } from '@temporalio/activity';
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

/** The member a text goes to ('' for a text to a guest or a bare number). */
export const memberIdOf = (input: SendSmsInput): string => ('memberId' in input.to ? input.to.memberId : '');

/**
 * A fake `sendSms` that behaves like the real outbox: one text per idempotency key (a key already taken answers
 * `already_sent` with its message), each text it takes recorded in `sent` as `record(input)` (called inside the
 * activity).
 */
export function fakeOutbox<T extends { key: string }>(
  record: (input: SendSmsInput) => T,
): { sent: T[]; sendSms: (input: SendSmsInput) => Promise<SendSmsResult> } {
  const sent: T[] = [];
  return {
    sent,
    async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
      void Context.current(); // only inside an activity, as the real one
      const before = sent.findIndex((s) => s.key === input.idempotencyKey);
      if (before >= 0)
        return { outcome: 'already_sent', messageId: before + 1, providerSid: `SM${before + 1}` };
      sent.push(record(input));
      return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
    },
  };
}
