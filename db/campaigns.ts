/**
 * The one writer of guest lists, guests, campaigns and campaign recipients. Guest consent evidence also enters
 * the consent ledger (marketing opt-in, source `import`): the send gate reads consent and suppression by phone,
 * so a guest's STOP (or one from the same number as a member) stops every list and campaign at once, and an
 * import never lifts an opt-out.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, isNull, lt, lte, min, or, sql } from 'drizzle-orm';
import { deliveryDecision, type CampaignSender } from '../workflows/guest-campaign/delivery.js';
import type { RsvpAnswer } from '../workflows/guest-campaign/replies.js';
import type { LocalSchedule } from '../workflows/guest-campaign/schedule.js';
import type { CampaignStatus, RecipientState } from '../workflows/guest-campaign/values.js';
import { assignVariant, splitByWeights, type CampaignVariant } from '../workflows/guest-campaign/variants.js';
import type { Db } from './client.js';
import { recordConsent, recordMarketingOptIns } from './consent.js';
import {
  campaignRecipients,
  campaignReplies,
  campaigns,
  campaignTestSends,
  guestImportRejections,
  guestImports,
  guestLists,
  guests,
  inboundMessages,
  messages,
  type Guest,
  type GuestImport,
  type ImportFormat,
  type RejectReason,
} from './schema.js';

export interface GuestInput {
  phone: string;
  name: string | null;
  timezone: string;
  variables: Record<string, string>;
  consent: { source: string; at: Date; text: string } | null;
}

export async function createGuestList(db: Db, name: string) {
  const [row] = await db.insert(guestLists).values({ id: randomUUID(), name }).returning();
  return row!;
}

/**
 * Insert guests into a list; a number already on the list is reported as a duplicate (by its index in `input`).
 * Consent evidence is recorded in the ledger once per guest (`guest:<id>:consent`).
 */
export async function insertGuests(
  db: Db,
  listId: string,
  input: GuestInput[],
): Promise<{ inserted: Guest[]; duplicates: number[] }> {
  const inserted: Guest[] = [];
  const duplicates: number[] = [];
  for (let i = 0; i < input.length; i += 1000) {
    const chunk = input.slice(i, i + 1000);
    const rows = await db
      .insert(guests)
      .values(
        chunk.map((g) => ({
          id: randomUUID(),
          listId,
          phone: g.phone,
          name: g.name,
          timezone: g.timezone,
          variables: g.variables,
          consent: g.consent !== null,
          consentSource: g.consent?.source ?? null,
          consentAt: g.consent?.at ?? null,
          consentText: g.consent?.text ?? null,
        })),
      )
      .onConflictDoNothing({ target: [guests.listId, guests.phone] })
      .returning();
    const byPhone = new Set(rows.map((r) => r.phone));
    chunk.forEach((g, j) => {
      if (!byPhone.has(g.phone)) duplicates.push(i + j);
    });
    inserted.push(...rows);
  }
  for (const g of inserted) if (g.consent) await recordGuestConsent(db, g);
  return { inserted, duplicates };
}

async function recordGuestConsent(db: Db, g: Guest) {
  await recordConsent(db, {
    phone: g.phone,
    purpose: 'marketing',
    action: 'opt_in',
    source: 'import',
    evidence: {
      guestId: g.id,
      listId: g.listId,
      source: g.consentSource,
      at: g.consentAt?.toISOString(),
      text: g.consentText,
    },
    dedupeKey: `guest:${g.id}:consent`,
  });
}

/**
 * One page of a list's consented guests, by id (keyset: ids after `afterId`), with only what a template needs:
 * the template check reads a 100,000-guest list a page at a time instead of holding every row at once.
 */
export async function consentedGuestsPage(db: Db, listId: string, afterId: string | null, limit: number) {
  return db
    .select({ id: guests.id, name: guests.name, variables: guests.variables })
    .from(guests)
    .where(
      and(eq(guests.listId, listId), eq(guests.consent, true), afterId ? gt(guests.id, afterId) : undefined),
    )
    .orderBy(asc(guests.id))
    .limit(limit);
}

export async function updateGuest(
  db: Db,
  listId: string,
  guestId: string,
  change: Partial<Pick<Guest, 'name' | 'timezone' | 'variables'>>,
) {
  const [row] = await db
    .update(guests)
    .set({ ...change, updatedAt: new Date() })
    .where(and(eq(guests.listId, listId), eq(guests.id, guestId)))
    .returning();
  return row;
}

export async function deleteGuest(db: Db, listId: string, guestId: string): Promise<boolean> {
  const rows = await db
    .delete(guests)
    .where(and(eq(guests.listId, listId), eq(guests.id, guestId)))
    .returning({ id: guests.id });
  return rows.length > 0;
}

export async function createCampaign(
  db: Db,
  values: {
    listId: string;
    name: string;
    template: string;
    variants?: CampaignVariant[] | null;
    segmentBudget: number;
    brand: string;
  },
) {
  const [row] = await db
    .insert(campaigns)
    .values({ id: randomUUID(), ...values })
    .returning();
  return row!;
}

export async function setCampaignStatus(db: Db, id: string, status: CampaignStatus, startAt?: Date | null) {
  await db
    .update(campaigns)
    .set({ status, updatedAt: new Date(), ...(startAt !== undefined && { startAt }) })
    .where(eq(campaigns.id, id));
}

/**
 * One row per guest of the campaign's list (idempotent): guests without consent are skipped from the start.
 * With A/B variants, every consented guest without one gets its variant in the same transaction:
 * `splitByWeights` over all of them the first time (exact to one guest), `assignVariant` for a guest whose row
 * came later — a guest's variant never changes once stored (retries, resumes and resends keep it).
 */
export async function prepareRecipients(db: Db, campaignId: string): Promise<{ noConsent: number }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`
      insert into campaign_recipients (campaign_id, guest_id, state, reason)
      select c.id, g.id,
             case when g.consent then 'pending' else 'skipped' end,
             case when g.consent then null else 'no_consent' end
      from campaigns c join guests g on g.list_id = c.list_id
      where c.id = ${campaignId}
      on conflict do nothing`);
    await assignVariants(tx as unknown as Db, campaignId);
    const [row] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(campaignRecipients)
      .where(and(eq(campaignRecipients.campaignId, campaignId), eq(campaignRecipients.reason, 'no_consent')));
    return { noConsent: row?.n ?? 0 };
  });
}

const VARIANT_CHUNK = 5_000;

async function assignVariants(db: Db, campaignId: string) {
  const [c] = await db
    .select({ variants: campaigns.variants })
    .from(campaigns)
    .where(eq(campaigns.id, campaignId));
  const weights = c?.variants?.map((v) => v.weight);
  if (!weights) return;
  const rows = await db
    .select({ guestId: campaignRecipients.guestId, variant: campaignRecipients.variant })
    .from(campaignRecipients)
    .where(
      and(
        eq(campaignRecipients.campaignId, campaignId),
        sql`${campaignRecipients.reason} is distinct from 'no_consent'`,
      ),
    );
  const unassigned = rows.filter((r) => r.variant === null).map((r) => r.guestId);
  if (unassigned.length === 0) return;
  const chosen =
    unassigned.length === rows.length
      ? splitByWeights(campaignId, unassigned, weights)
      : new Map(unassigned.map((id) => [id, assignVariant(campaignId, id, weights)]));
  for (const [variant] of weights.entries()) {
    const ids = unassigned.filter((id) => chosen.get(id) === variant);
    for (let i = 0; i < ids.length; i += VARIANT_CHUNK)
      await db
        .update(campaignRecipients)
        .set({ variant })
        .where(
          and(
            eq(campaignRecipients.campaignId, campaignId),
            inArray(campaignRecipients.guestId, ids.slice(i, i + VARIANT_CHUNK)),
          ),
        );
  }
}

/**
 * Per variant (0 for a campaign without variants): guests assigned, texts sent, delivered (the provider's
 * status callback), undelivered or failed, and guests who replied.
 */
export async function variantCounts(db: Db, campaignId: string) {
  const rows = await db.execute<{
    variant: number;
    recipients: number;
    sent: number;
    delivered: number;
    undelivered: number;
    replied: number;
  }>(sql`
    select coalesce(r.variant, 0)::int as variant,
           count(*)::int as recipients,
           count(*) filter (where r.state = 'sent')::int as sent,
           count(*) filter (where r.state = 'sent' and m.status = 'delivered')::int as delivered,
           count(*) filter (where r.state = 'sent' and m.status in ('undelivered', 'failed'))::int as undelivered,
           count(*) filter (where exists (
             select 1 from campaign_replies cr
              where cr.campaign_id = r.campaign_id and cr.guest_id = r.guest_id))::int as replied
      from campaign_recipients r
      left join messages m on m.id = r.message_id
     where r.campaign_id = ${campaignId}
       and r.reason is distinct from 'no_consent'
     group by 1
     order by 1`);
  return [...rows];
}

/** Guests to send to now: pending, or held with their hold over; in guest id order. */
export async function dueRecipients(db: Db, campaignId: string, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ guestId: campaignRecipients.guestId })
    .from(campaignRecipients)
    .where(
      and(
        eq(campaignRecipients.campaignId, campaignId),
        or(
          eq(campaignRecipients.state, 'pending'),
          and(eq(campaignRecipients.state, 'held'), lte(campaignRecipients.heldUntil, now)),
        ),
      ),
    )
    .orderBy(asc(campaignRecipients.guestId))
    .limit(limit);
  return rows.map((r) => r.guestId);
}

/** The earliest end of a hold still in force (null: nobody is held). */
export async function nextHoldEnd(db: Db, campaignId: string, now: Date): Promise<Date | null> {
  const [row] = await db
    .select({ at: min(campaignRecipients.heldUntil) })
    .from(campaignRecipients)
    .where(
      and(
        eq(campaignRecipients.campaignId, campaignId),
        eq(campaignRecipients.state, 'held'),
        gt(campaignRecipients.heldUntil, now),
      ),
    );
  return row?.at ?? null;
}

export async function setRecipientState(
  db: Db,
  campaignId: string,
  guestId: string,
  change: {
    state: RecipientState;
    reason?: string | null;
    heldUntil?: Date | null;
    messageId?: number | null;
  },
) {
  await db
    .update(campaignRecipients)
    .set({
      state: change.state,
      reason: change.reason ?? null,
      heldUntil: change.heldUntil ?? null,
      ...(change.messageId !== undefined && { messageId: change.messageId }),
      updatedAt: new Date(),
    })
    .where(and(eq(campaignRecipients.campaignId, campaignId), eq(campaignRecipients.guestId, guestId)));
}

/** `setRecipientState` for many guests of one campaign in one statement (a send wave's holds, skips, failures). */
export async function setRecipientStates(
  db: Db,
  campaignId: string,
  changes: ReadonlyArray<{
    guestId: string;
    state: RecipientState;
    reason?: string | null;
    heldUntil?: Date | null;
    messageId?: number | null;
  }>,
): Promise<void> {
  if (changes.length === 0) return;
  const json = JSON.stringify(
    changes.map((c) => ({
      guest_id: c.guestId,
      state: c.state,
      reason: c.reason ?? null,
      held_until: c.heldUntil?.toISOString() ?? null,
      set_message: c.messageId !== undefined,
      message_id: c.messageId ?? null,
    })),
  );
  await db.execute(sql`
    update campaign_recipients r
       set state = u.state, reason = u.reason, held_until = u.held_until,
           message_id = case when u.set_message then u.message_id else r.message_id end, updated_at = now()
      from jsonb_to_recordset(${json}::jsonb)
        as u(guest_id uuid, state text, reason text, held_until timestamptz, set_message boolean, message_id bigint)
     where r.campaign_id = ${campaignId} and r.guest_id = u.guest_id`);
}

/** Counts per state and reason. */
export async function recipientCounts(db: Db, campaignId: string) {
  return db
    .select({
      state: campaignRecipients.state,
      reason: campaignRecipients.reason,
      count: sql<number>`count(*)::int`,
    })
    .from(campaignRecipients)
    .where(eq(campaignRecipients.campaignId, campaignId))
    .groupBy(campaignRecipients.state, campaignRecipients.reason);
}

export async function recipientsOf(db: Db, campaignId: string, guestIds: string[]) {
  return db
    .select()
    .from(campaignRecipients)
    .where(and(eq(campaignRecipients.campaignId, campaignId), inArray(campaignRecipients.guestId, guestIds)));
}

/**
 * "Send again to those not delivered": guests whose text failed or was reported undelivered/failed go back to
 * pending for `round` (a new idempotency key); a guest whose text was sent or delivered is never re-texted.
 */
export async function prepareResend(db: Db, campaignId: string, round: number): Promise<number> {
  const rows = await db.execute(sql`
    update campaign_recipients r
       set state = 'pending', reason = null, held_until = null, round = ${round}, updated_at = now()
     where r.campaign_id = ${campaignId}
       and r.round < ${round}
       and (r.state = 'failed'
            or (r.state = 'sent' and exists (
                  select 1 from messages m where m.id = r.message_id and m.status in ('undelivered', 'failed'))))
    returning r.guest_id`);
  return rows.length;
}

/** The highest resend round so far (0: none). */
export async function lastRound(db: Db, campaignId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`coalesce(max(${campaignRecipients.round}), 0)::int` })
    .from(campaignRecipients)
    .where(eq(campaignRecipients.campaignId, campaignId));
  return row?.n ?? 0;
}

/* ---------- guest imports (db/guest-imports-schema.ts) ---------- */

/**
 * The import of this content to this list: created (`created: true`) or the one an earlier identical upload made
 * (the same upload retried is the same import, and never duplicates a guest).
 */
export async function findOrCreateImport(
  db: Db,
  values: { listId: string; contentKey: string; format: ImportFormat; total: number },
): Promise<{ row: GuestImport; created: boolean }> {
  const [created] = await db
    .insert(guestImports)
    .values({ id: randomUUID(), ...values })
    .onConflictDoNothing({ target: [guestImports.listId, guestImports.contentKey] })
    .returning();
  if (created) return { row: created, created: true };
  const [row] = await db
    .select()
    .from(guestImports)
    .where(and(eq(guestImports.listId, values.listId), eq(guestImports.contentKey, values.contentKey)));
  return { row: row!, created: false };
}

export async function getImport(db: Db, listId: string, importId: string) {
  const [row] = await db
    .select()
    .from(guestImports)
    .where(and(eq(guestImports.listId, listId), eq(guestImports.id, importId)));
  return row;
}

export interface ImportBatch {
  /** The batch covers data rows (processedBefore, lastRow]. */
  lastRow: number;
  guests: Array<GuestInput & { row: number }>;
  rejected: Array<{ row: number; reason: RejectReason; detail: string }>;
}

/**
 * Write one batch of an import in one transaction: its guests (a number already on the list is a rejected
 * `duplicate`), their consent evidence in the ledger, its rejected rows and the import's progress. Idempotent: a
 * batch the import has already passed (a retried or resumed import) writes nothing.
 */
export async function writeImportBatch(db: Db, importId: string, batch: ImportBatch): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [imp] = await tx.select().from(guestImports).where(eq(guestImports.id, importId)).for('update');
    if (!imp || imp.processed >= batch.lastRow) return false;
    const rejected = [...batch.rejected];
    let inserted: Guest[] = [];
    if (batch.guests.length) {
      inserted = await tx
        .insert(guests)
        .values(
          batch.guests.map((g) => ({
            id: randomUUID(),
            listId: imp.listId,
            phone: g.phone,
            name: g.name,
            timezone: g.timezone,
            variables: g.variables,
            consent: g.consent !== null,
            consentSource: g.consent?.source ?? null,
            consentAt: g.consent?.at ?? null,
            consentText: g.consent?.text ?? null,
          })),
        )
        .onConflictDoNothing({ target: [guests.listId, guests.phone] })
        .returning();
      const byPhone = new Set(inserted.map((r) => r.phone));
      for (const g of batch.guests)
        if (!byPhone.has(g.phone))
          rejected.push({ row: g.row, reason: 'duplicate', detail: 'phone: already on this list' });
    }
    const consented = inserted.filter((g) => g.consent);
    // The import's evidence of each consent: which import (and its upload's content hash) and which data row.
    const rowOf = new Map(batch.guests.map((g) => [g.phone, g.row]));
    await recordMarketingOptIns(
      tx,
      consented.map((g) => ({
        phone: g.phone,
        source: 'import' as const,
        evidence: {
          guestId: g.id,
          listId: g.listId,
          importId,
          importFormat: imp.format,
          importContentKey: imp.contentKey,
          row: rowOf.get(g.phone) ?? null,
          source: g.consentSource,
          at: g.consentAt?.toISOString(),
          text: g.consentText,
        },
        dedupeKey: `guest:${g.id}:consent`,
      })),
    );
    if (rejected.length)
      await tx
        .insert(guestImportRejections)
        .values(rejected.map((r) => ({ importId, ...r })))
        .onConflictDoNothing();
    await tx
      .update(guestImports)
      .set({
        processed: batch.lastRow,
        imported: sql`${guestImports.imported} + ${inserted.length}`,
        withConsent: sql`${guestImports.withConsent} + ${consented.length}`,
        rejected: sql`${guestImports.rejected} + ${rejected.length}`,
        updatedAt: new Date(),
      })
      .where(eq(guestImports.id, importId));
    return true;
  });
}

export async function finishImport(db: Db, importId: string, outcome: { error?: string } = {}) {
  const [row] = await db
    .update(guestImports)
    .set({
      status: outcome.error ? 'failed' : 'completed',
      error: outcome.error ?? null,
      completedAt: new Date(),
      updatedAt: new Date(),
    })
    .where(and(eq(guestImports.id, importId), eq(guestImports.status, 'running')))
    .returning();
  return row;
}

/** Rejected rows of an import in row order, after row `afterRow`. */
export async function importRejections(db: Db, importId: string, afterRow: number, limit: number) {
  return db
    .select({
      row: guestImportRejections.row,
      reason: guestImportRejections.reason,
      detail: guestImportRejections.detail,
    })
    .from(guestImportRejections)
    .where(and(eq(guestImportRejections.importId, importId), gt(guestImportRejections.row, afterRow)))
    .orderBy(asc(guestImportRejections.row))
    .limit(limit);
}

/**
 * Take an import up again: one that failed, or is `running` with no progress since `staleBefore` (its writer is
 * gone). Returns it (status running) or undefined when it is completed or still being written.
 */
export async function reopenImport(db: Db, importId: string, staleBefore: Date) {
  const [row] = await db
    .update(guestImports)
    .set({ status: 'running', error: null, completedAt: null, updatedAt: new Date() })
    .where(
      and(
        eq(guestImports.id, importId),
        or(
          eq(guestImports.status, 'failed'),
          and(eq(guestImports.status, 'running'), lte(guestImports.updatedAt, staleBefore)),
        ),
      ),
    )
    .returning();
  return row;
}

/* ---------- replies from guests (db/campaign-replies-schema.ts) ---------- */

/**
 * Store a guest's reply to a campaign (idempotent on the inbound id). The guest is the campaign's recipient with
 * this phone; null when there is none (the guest was removed), and then nothing is stored.
 */
export async function recordCampaignReply(
  db: Db,
  r: { campaignId: string; phone: string; inboundId: number; answer: RsvpAnswer; receivedAt: Date },
): Promise<string | null> {
  const [guest] = await db
    .select({ id: guests.id })
    .from(campaignRecipients)
    .innerJoin(guests, eq(guests.id, campaignRecipients.guestId))
    .where(and(eq(campaignRecipients.campaignId, r.campaignId), eq(guests.phone, r.phone)))
    .limit(1);
  if (!guest) return null;
  await db
    .insert(campaignReplies)
    .values({
      inboundId: r.inboundId,
      campaignId: r.campaignId,
      guestId: guest.id,
      answer: r.answer,
      receivedAt: r.receivedAt,
    })
    .onConflictDoNothing({ target: campaignReplies.inboundId });
  return guest.id;
}

/**
 * Reply counts of a campaign: replies, guests who replied, and per guest their RSVP — the latest yes/no they
 * sent (a later "no" overrides an earlier "yes"); a guest who only wrote free text counts as `other`.
 */
export async function replyCounts(db: Db, campaignId: string) {
  const [row] = await db.execute<{ replies: number; guests: number; yes: number; no: number }>(sql`
    with latest as (
      select distinct on (guest_id) guest_id, answer
        from campaign_replies
       where campaign_id = ${campaignId} and answer <> 'other'
       order by guest_id, received_at desc, inbound_id desc)
    select (select count(*) from campaign_replies where campaign_id = ${campaignId})::int as replies,
           (select count(distinct guest_id) from campaign_replies where campaign_id = ${campaignId})::int as guests,
           (select count(*) from latest where answer = 'yes')::int as yes,
           (select count(*) from latest where answer = 'no')::int as no`);
  const r = row ?? { replies: 0, guests: 0, yes: 0, no: 0 };
  return { replies: r.replies, guests: r.guests, yes: r.yes, no: r.no, other: r.guests - r.yes - r.no };
}

/** Replies of a campaign, newest first (cursor: the inbound id), with the text from inbound_messages. */
export async function campaignRepliesPage(
  db: Db,
  q: { campaignId: string; answer?: RsvpAnswer; before?: number; limit: number },
) {
  return db
    .select({
      inboundId: campaignReplies.inboundId,
      guestId: campaignReplies.guestId,
      name: guests.name,
      answer: campaignReplies.answer,
      body: inboundMessages.body,
      receivedAt: campaignReplies.receivedAt,
    })
    .from(campaignReplies)
    .innerJoin(guests, eq(guests.id, campaignReplies.guestId))
    .innerJoin(inboundMessages, eq(inboundMessages.id, campaignReplies.inboundId))
    .where(
      and(
        eq(campaignReplies.campaignId, q.campaignId),
        q.answer ? eq(campaignReplies.answer, q.answer) : undefined,
        q.before !== undefined ? lt(campaignReplies.inboundId, q.before) : undefined,
      ),
    )
    .orderBy(desc(campaignReplies.inboundId))
    .limit(q.limit);
}

/* ---------- test sends (db/campaign-replies-schema.ts) ---------- */

export async function createTestSends(
  db: Db,
  rows: Array<{ campaignId: string; phone: string; timezone: string; guestId: string | null; body: string }>,
) {
  return db
    .insert(campaignTestSends)
    .values(rows.map((r) => ({ id: randomUUID(), ...r })))
    .returning();
}

export const testSendKey = (campaignId: string, testSendId: string) =>
  `campaign:${campaignId}:test:${testSendId}`;

/** A campaign's test sends, newest first, with each text's status. */
export async function testSendsOf(db: Db, campaignId: string, limit: number) {
  return db
    .select({
      id: campaignTestSends.id,
      phone: campaignTestSends.phone,
      guestId: campaignTestSends.guestId,
      body: campaignTestSends.body,
      createdAt: campaignTestSends.createdAt,
      messageStatus: messages.status,
    })
    .from(campaignTestSends)
    .leftJoin(
      messages,
      eq(
        messages.idempotencyKey,
        sql`'campaign:' || ${campaignTestSends.campaignId} || ':test:' || ${campaignTestSends.id}`,
      ),
    )
    .where(eq(campaignTestSends.campaignId, campaignId))
    .orderBy(desc(campaignTestSends.createdAt), desc(campaignTestSends.id))
    .limit(limit);
}

/** Start options the API was given: a moment or "each guest at HH:MM in their own zone", and the rate. */
export async function setCampaignSchedule(
  db: Db,
  id: string,
  schedule: { startAt: Date | null; sendAtLocal: LocalSchedule | null; rateMps: number | null },
) {
  await db
    .update(campaigns)
    .set({ ...schedule, updatedAt: new Date() })
    .where(eq(campaigns.id, id));
}

/** The campaign's own rate limit (segments/s; null = its fair share of the sender). */
export async function setCampaignRate(db: Db, id: string, rateMps: number | null) {
  await db.update(campaigns).set({ rateMps, updatedAt: new Date() }).where(eq(campaigns.id, id));
}

/**
 * Read before each campaign text: this campaign's mirrored status and rate, and every running campaign's rate
 * (they share the sender fairly; workflows/guest-campaign/pacing.ts).
 */
export async function sendingState(db: Db, campaignId: string) {
  const rows = await db
    .select({ id: campaigns.id, status: campaigns.status, rateMps: campaigns.rateMps })
    .from(campaigns)
    .where(or(eq(campaigns.id, campaignId), eq(campaigns.status, 'running')));
  const self = rows.find((r) => r.id === campaignId) ?? null;
  return {
    self,
    running: rows.filter((r) => r.status === 'running').map((r) => ({ id: r.id, rateMps: r.rateMps })),
  };
}

/** Pending guests of the first round not placed yet (no hold), with what their local send time depends on. */
export async function unplacedRecipients(db: Db, campaignId: string) {
  return db
    .select({ guestId: guests.id, phone: guests.phone, timezone: guests.timezone })
    .from(campaignRecipients)
    .innerJoin(guests, eq(guests.id, campaignRecipients.guestId))
    .where(
      and(
        eq(campaignRecipients.campaignId, campaignId),
        eq(campaignRecipients.state, 'pending'),
        eq(campaignRecipients.round, 0),
        isNull(campaignRecipients.heldUntil),
      ),
    );
}

/** Hold these pending guests until their own instants (one statement per 5,000 guests); returns how many. */
export async function holdRecipients(
  db: Db,
  campaignId: string,
  reason: string,
  holds: ReadonlyArray<{ guestId: string; until: Date }>,
): Promise<number> {
  let n = 0;
  for (let i = 0; i < holds.length; i += 5000) {
    const chunk = holds.slice(i, i + 5000);
    const json = JSON.stringify(chunk.map((h) => ({ guest_id: h.guestId, until: h.until.toISOString() })));
    const rows = await db.execute(sql`
      update campaign_recipients r
         set state = 'held', reason = ${reason}, held_until = u.until, updated_at = now()
        from jsonb_to_recordset(${json}::jsonb) as u(guest_id uuid, until timestamptz)
       where r.campaign_id = ${campaignId} and r.guest_id = u.guest_id and r.state = 'pending'
      returning r.guest_id`);
    n += rows.length;
  }
  return n;
}

/**
 * A send batch's recipients with the guest each text needs (one query instead of one per guest): state, round,
 * variant, and the guest's row (null when the guest is gone).
 */
export async function batchRecipients(db: Db, campaignId: string, guestIds: string[]) {
  if (guestIds.length === 0) return [];
  const rows = await db
    .select({ recipient: campaignRecipients, guest: guests })
    .from(campaignRecipients)
    .leftJoin(guests, eq(guests.id, campaignRecipients.guestId))
    .where(and(eq(campaignRecipients.campaignId, campaignId), inArray(campaignRecipients.guestId, guestIds)));
  return rows;
}

/**
 * Mark many guests `sent` in one statement (the send batch's buffered checkpoint). Safe to repeat; a guest whose
 * state a later write has moved on (e.g. a resend round) is matched by its round.
 */
export async function markRecipientsSent(
  db: Db,
  campaignId: string,
  sent: ReadonlyArray<{ guestId: string; messageId: number; round: number; reason?: string | null }>,
): Promise<number> {
  if (sent.length === 0) return 0;
  const json = JSON.stringify(
    sent.map((s) => ({
      guest_id: s.guestId,
      message_id: s.messageId,
      round: s.round,
      reason: s.reason ?? null,
    })),
  );
  const rows = await db.execute(sql`
    update campaign_recipients r
       set state = 'sent', reason = u.reason, held_until = null, message_id = u.message_id, updated_at = now()
      from jsonb_to_recordset(${json}::jsonb) as u(guest_id uuid, message_id bigint, round int, reason text)
     where r.campaign_id = ${campaignId} and r.guest_id = u.guest_id and r.round = u.round
    returning r.guest_id`);
  return rows.length;
}

/** Of these campaign messages, the ones a delivery report has already failed (applied once they are linked). */
export async function failedMessages(db: Db, messageIds: readonly number[]): Promise<number[]> {
  if (messageIds.length === 0) return [];
  const rows = await db
    .select({ id: messages.id })
    .from(messages)
    .where(and(inArray(messages.id, [...messageIds]), inArray(messages.status, ['failed', 'undelivered'])));
  return rows.map((r) => r.id);
}

/* ---------- delivery failures and the second sender (workflows/guest-campaign/delivery.ts) ---------- */

export interface DeliveryOutcome {
  campaignId: string;
  guestId: string;
  action: 'mark' | 'retry';
}

/**
 * Apply a campaign text's delivery failure to its guest (idempotent; run after every status report of a campaign
 * message, and by the send activity right after it links the message, so a report that came first is not lost):
 * `undelivered:<code>` on the guest, or — with a second sender, for 30003/30007, from the primary — back to
 * `pending` for the second sender. The guest row is locked, and a row already moved on (pending, or linked to its
 * second text) is left alone. Null when nothing applies.
 */
export async function applyCampaignDeliveryFailure(
  db: Db,
  messageId: number,
  opts: { secondaryConfigured: boolean },
): Promise<DeliveryOutcome | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx.execute<{
      campaign_id: string;
      guest_id: string;
      state: string;
      sender: CampaignSender;
      message_status: string;
      error_code: number | null;
      campaign_status: CampaignStatus;
    }>(sql`
      select r.campaign_id, r.guest_id, r.state, r.sender, m.status as message_status, m.error_code,
             c.status as campaign_status
        from campaign_recipients r
        join messages m on m.id = r.message_id
        join campaigns c on c.id = r.campaign_id
       where r.message_id = ${messageId}
       for update of r`);
    if (!row) return null;
    // Put back already and not sent yet: the same answer again, so a repeated report re-signals the workflow.
    if (row.state === 'pending' && row.sender === 'secondary')
      return { campaignId: row.campaign_id, guestId: row.guest_id, action: 'retry' as const };
    const decision = deliveryDecision({
      messageStatus: row.message_status,
      errorCode: row.error_code,
      recipientState: row.state,
      sender: row.sender,
      campaignStatus: row.campaign_status,
      secondaryConfigured: opts.secondaryConfigured,
    });
    if (decision.action === 'none') return null;
    const where = and(
      eq(campaignRecipients.campaignId, row.campaign_id),
      eq(campaignRecipients.guestId, row.guest_id),
      eq(campaignRecipients.messageId, messageId),
      eq(campaignRecipients.state, 'sent'),
    );
    if (decision.action === 'retry') {
      await tx
        .update(campaignRecipients)
        .set({
          state: 'pending',
          reason: decision.reason,
          heldUntil: null,
          sender: 'secondary',
          updatedAt: new Date(),
        })
        .where(where);
    } else {
      await tx
        .update(campaignRecipients)
        .set({ reason: decision.reason, updatedAt: new Date() })
        .where(where);
    }
    return { campaignId: row.campaign_id, guestId: row.guest_id, action: decision.action };
  });
}

/**
 * A campaign run started by a delivery failure after the last run ended: the campaign is `running` again only if
 * it had completed (a cancelled campaign stays cancelled). Returns the status it now has.
 */
export async function reopenForDeliveryRetry(db: Db, campaignId: string): Promise<CampaignStatus | null> {
  const [row] = await db
    .update(campaigns)
    .set({ status: 'running', updatedAt: new Date() })
    .where(and(eq(campaigns.id, campaignId), inArray(campaigns.status, ['completed', 'running'])))
    .returning({ status: campaigns.status });
  if (row) return row.status;
  const [c] = await db
    .select({ status: campaigns.status })
    .from(campaigns)
    .where(eq(campaigns.id, campaignId));
  return c?.status ?? null;
}

/** The campaign message a status report is about (by provider sid, else our outbox id); null if none. */
export async function campaignMessageOf(db: Db, report: { sid: string; outboxId: number | null }) {
  const [row] = await db
    .select({ id: messages.id })
    .from(messages)
    .where(
      and(
        sql`${messages.campaignId} is not null`,
        report.outboxId !== null
          ? or(eq(messages.providerSid, report.sid), eq(messages.id, report.outboxId))
          : eq(messages.providerSid, report.sid),
      ),
    )
    .limit(1);
  return row?.id ?? null;
}

/**
 * Erasure (db/members.ts `eraseMember`): the number leaves every guest list, across campaigns; its recipient rows
 * go with it (cascade), so no running campaign's batch can pick it up again. Runs in the caller's transaction.
 */
export async function removeGuestByPhone(
  db: Db | Parameters<Parameters<Db['transaction']>[0]>[0],
  phone: string,
): Promise<number> {
  const gone = await db.delete(guests).where(eq(guests.phone, phone)).returning({ id: guests.id });
  return gone.length;
}
