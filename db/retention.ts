/**
 * The retention purge (issue 12): the one place that blanks or deletes personal data because it is older than
 * its class's retention (workflows/retention/values.ts). Each step works in bounded batches (so a first purge of
 * a large database neither holds long locks nor builds a huge transaction) and is idempotent: a batch repeated
 * after a crash finds nothing left to do.
 */
import { sql } from 'drizzle-orm';
import type { Db } from './client.js';

const BATCH = 5_000;

/** Runs `step` until it affects no row; returns the total. `onBatch` is called after each batch (heartbeat). */
async function inBatches(step: () => Promise<number>, onBatch: () => void): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await step();
    total += n;
    onBatch();
    if (n < BATCH) return total;
  }
}

const count = (rows: { length: number }) => rows.length;

/** Blanks the bodies of texts we sent before `before` (sign-in texts included). */
export function purgeMessageBodies(db: Db, before: Date, onBatch: () => void, kind?: string) {
  return inBatches(
    async () =>
      count(
        await db.execute(sql`
          update messages set body = '', body_purged_at = now()
          where id in (
            select id from messages
            where created_at < ${before.toISOString()}::timestamptz and body_purged_at is null
              ${kind ? sql`and kind = ${kind}` : sql``}
            limit ${BATCH}
          )
          returning id`),
      ),
    onBatch,
  );
}

/** Blanks the bodies of texts we received before `before`. */
export function purgeInboundBodies(db: Db, before: Date, onBatch: () => void) {
  return inBatches(
    async () =>
      count(
        await db.execute(sql`
          update inbound_messages set body = '', body_purged_at = now()
          where id in (
            select id from inbound_messages
            where received_at < ${before.toISOString()}::timestamptz and body_purged_at is null
            limit ${BATCH}
          )
          returning id`),
      ),
    onBatch,
  );
}

/** Deletes sign-in code rows (hashes) created before `before`. */
export function purgeSignInCodes(db: Db, before: Date, onBatch: () => void) {
  return inBatches(
    async () =>
      count(
        await db.execute(sql`
          delete from sign_in_codes
          where id in (select id from sign_in_codes where created_at < ${before.toISOString()}::timestamptz limit ${BATCH})
          returning id`),
      ),
    onBatch,
  );
}

/** Deletes crew reflections created before `before` (their flags and decisions go with them). */
export function purgeReflections(db: Db, before: Date, onBatch: () => void) {
  return inBatches(
    async () =>
      count(
        await db.execute(sql`
          delete from crew_reflections
          where id in (select id from crew_reflections where created_at < ${before.toISOString()}::timestamptz limit ${BATCH})
          returning id`),
      ),
    onBatch,
  );
}

/** Deletes AI usage rows of UTC days before `before`'s day. */
export function purgeAiUsage(db: Db, before: Date, onBatch: () => void) {
  const day = before.toISOString().slice(0, 10);
  return inBatches(
    async () =>
      count(
        await db.execute(sql`
          delete from ai_usage
          where (member_id, day) in (select member_id, day from ai_usage where day < ${day}::date limit ${BATCH})
          returning member_id`),
      ),
    onBatch,
  );
}

/**
 * Deletes audit events older than `before`. The audit log is append-only (a trigger refuses UPDATE and DELETE);
 * only a transaction that sets `crewline.audit_purge` may delete, and this is the only one that does.
 */
export function purgeAuditEvents(db: Db, before: Date, onBatch: () => void) {
  return inBatches(
    () =>
      db.transaction(async (tx) => {
        await tx.execute(sql`set local crewline.audit_purge = 'on'`);
        return count(
          await tx.execute(sql`
            delete from audit_events
            where id in (select id from audit_events where at < ${before.toISOString()}::timestamptz limit ${BATCH})
            returning id`),
        );
      }),
    onBatch,
  );
}
