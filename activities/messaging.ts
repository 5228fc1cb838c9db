import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { members, messages } from '../db/schema.js';
import { countSegments } from '../workflows/lib/segments.js';
import { ProviderError, type OutboundSms, type SmsProvider } from './sms/provider.js';

export interface SendSmsInput {
  /** Business idempotency key, e.g. `member:<id>:checkin:<local date>`. Never a run or activity id. */
  idempotencyKey: string;
  memberId: string;
  kind: string;
  purpose: 'transactional' | 'marketing';
  body: string;
}

export type SendSmsResult =
  | { outcome: 'sent'; messageId: number; providerSid: string }
  | { outcome: 'already_sent'; messageId: number; providerSid: string | null }
  | { outcome: 'dropped'; messageId: number | null; reason: string };

/** Statuses after which the provider has the message: never send that key again. */
const HANDED_OVER = new Set([
  'queued',
  'accepted',
  'scheduled',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'read',
]);

export function createMessagingActivities(deps: { db: Db; sms: SmsProvider }) {
  const { db, sms } = deps;

  async function sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    const member = await db.query.members.findFirst({ where: eq(members.id, input.memberId) });
    if (!member || member.status === 'erased') {
      return { outcome: 'dropped', messageId: null, reason: 'member_not_found' };
    }
    // 1. The outbox row exists before the provider is called; the key makes this idempotent.
    await db
      .insert(messages)
      .values({
        idempotencyKey: input.idempotencyKey,
        memberId: member.id,
        toPhone: member.phone,
        body: input.body,
        kind: input.kind,
        purpose: input.purpose,
        provider: sms.name,
        segments: countSegments(input.body).segments,
      })
      .onConflictDoNothing({ target: messages.idempotencyKey });
    const row = await db.query.messages.findFirst({
      where: eq(messages.idempotencyKey, input.idempotencyKey),
    });
    if (!row) throw new Error(`outbox row for ${input.idempotencyKey} vanished`);
    if (row.providerSid || HANDED_OVER.has(row.status)) {
      return { outcome: 'already_sent', messageId: row.id, providerSid: row.providerSid };
    }
    if (row.status === 'failed' || row.status === 'dropped') {
      return { outcome: 'dropped', messageId: row.id, reason: row.errorMessage ?? row.status };
    }
    const out: OutboundSms = {
      outboxId: row.id,
      idempotencyKey: row.idempotencyKey,
      to: row.toPhone,
      body: row.body,
    };

    // 2. A previous attempt may have reached the provider and died before recording it: look before resending.
    if (row.status === 'attempting') {
      const found = await sms.findSent(out, new Date(row.updatedAt.getTime() - 5_000));
      if (found) {
        await markSent(row.id, found.sid, found.status, found.from);
        return { outcome: 'already_sent', messageId: row.id, providerSid: found.sid };
      }
    }

    // 3. Claim the attempt, then call the provider.
    await db
      .update(messages)
      .set({ status: 'attempting', attempts: sql`${messages.attempts} + 1`, updatedAt: new Date() })
      .where(and(eq(messages.id, row.id), sql`${messages.providerSid} is null`));
    try {
      const res = await sms.send(out);
      await markSent(row.id, res.sid, res.status, res.from);
      return { outcome: 'sent', messageId: row.id, providerSid: res.sid };
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      const { failureClass, code } = err;
      if (failureClass === 'transient') {
        // Certainly not processed (e.g. 429): back to pending, Temporal retries with backoff.
        await db
          .update(messages)
          .set({ status: 'pending', errorCode: code, updatedAt: new Date() })
          .where(eq(messages.id, row.id));
        throw ApplicationFailure.retryable(err.message, 'ProviderTransient', { code });
      }
      if (failureClass === 'ambiguous') {
        // Stays `attempting`: the next attempt reconciles with the provider before sending again.
        throw ApplicationFailure.retryable(err.message, 'ProviderAmbiguous', { code });
      }
      await db
        .update(messages)
        .set({
          status: 'failed',
          errorCode: code,
          errorMessage: `${failureClass}: ${err.message}`,
          updatedAt: new Date(),
        })
        .where(eq(messages.id, row.id));
      Context.current().log.warn('sms permanently failed', { messageId: row.id, code, failureClass });
      throw ApplicationFailure.nonRetryable(err.message, `Provider_${failureClass}`, {
        code,
        messageId: row.id,
      });
    }
  }

  async function markSent(id: number, sid: string, status: string, from: string | null) {
    await db
      .update(messages)
      .set({ providerSid: sid, status, fromPhone: from, sentAt: new Date(), updatedAt: new Date() })
      .where(eq(messages.id, id));
  }

  return { sendSms };
}
