/**
 * Provider status callbacks. Twilio does not guarantee their order, so a message's status only moves forward:
 * a late `sent` never overwrites `delivered`. Every report is kept in the message's timeline.
 */
import { eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import { recordCarrierUnsubscribe, suppress, type SuppressionReason } from './consent.js';
import { messages, messageStatusEvents } from './schema.js';

const RANK: Record<string, number> = {
  pending: 0,
  deferred: 0,
  attempting: 0,
  accepted: 1,
  scheduled: 1,
  queued: 2,
  sending: 3,
  sent: 4,
  canceled: 5,
  failed: 5,
  undelivered: 5,
  // Some parts of a multi-part message reached the handset (Twilio's partially_delivered): final, below delivered.
  partially_delivered: 6,
  delivered: 7,
  read: 8,
};

export const statusRank = (status: string): number => RANK[status] ?? -1;

/** `statusRank` of a SQL text expression (the same table), for updates that move many rows forward at once. */
export const statusRankSql = (expr: SQL): SQL =>
  sql`(case ${expr} ${sql.join(
    Object.entries(RANK).map(([s, r]) => sql.raw(`when '${s}' then ${r}`)),
    sql` `,
  )} else -1 end)`;

/** Carrier and provider error codes that say something about the number itself (shared/REFERENCE.md). */
export const ERROR_CODE_SUPPRESSION: Record<number, SuppressionReason> = {
  21610: 'carrier_unsubscribed', // recipient replied STOP to the sender at the carrier/Twilio
  30004: 'carrier_blocked', // message blocked (recipient blocked the sender, or carrier block)
  21211: 'invalid_number',
  21614: 'invalid_number', // not a mobile number
  30005: 'invalid_number', // unknown or inactive number
  30006: 'invalid_number', // landline or unreachable carrier
};

export interface StatusReport {
  outboxId: number | null;
  sid: string;
  status: string;
  errorCode: number | null;
}

export type StatusOutcome = 'applied' | 'stale' | 'unknown_message';

export async function applyStatusReport(db: Db, report: StatusReport): Promise<StatusOutcome> {
  return db.transaction(async (tx) => {
    let [row] = await tx.select().from(messages).where(eq(messages.providerSid, report.sid)).for('update');
    if (!row && report.outboxId !== null) {
      [row] = await tx.select().from(messages).where(eq(messages.id, report.outboxId)).for('update');
      // The callback of an ambiguous create (we never learned the sid): it reconciles the row.
      if (row && row.providerSid && row.providerSid !== report.sid) row = undefined;
    }
    if (!row) return 'unknown_message';
    const forward = statusRank(report.status) > statusRank(row.status) && statusRank(report.status) >= 0;
    await tx.insert(messageStatusEvents).values({
      messageId: row.id,
      status: report.status,
      errorCode: report.errorCode,
      applied: forward ? 1 : 0,
    });
    if (forward) {
      await tx
        .update(messages)
        .set({
          status: report.status,
          providerSid: report.sid,
          errorCode: report.errorCode ?? row.errorCode,
          updatedAt: new Date(),
        })
        .where(eq(messages.id, row.id));
    }
    const reason = report.errorCode !== null ? ERROR_CODE_SUPPRESSION[report.errorCode] : undefined;
    if (reason === 'carrier_unsubscribed') {
      await recordCarrierUnsubscribe(tx, {
        phone: row.toPhone,
        dedupeKey: `carrier:${report.sid}:${report.errorCode}`,
        evidence: { messageId: row.id, providerSid: report.sid, errorCode: report.errorCode },
        detail: String(report.errorCode),
      });
    } else if (reason) {
      await suppress(tx, row.toPhone, reason, 'carrier', String(report.errorCode));
    }
    return forward ? 'applied' : 'stale';
  });
}
