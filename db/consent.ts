/**
 * The consent ledger and the suppression list. Used by the API (keywords, consent API, status callbacks) and by
 * the send gate in activities. Every change is one transaction: the ledger event and the suppression together.
 */
import { and, asc, desc, eq, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { purposeConsent, type LedgerEvent, type PurposeConsent } from './consent-rules.js';
import { erasedSuppressions, erasedSuppressionsMany, erasedSuppressionsOf } from './erasure.js';
import { mentors } from './mentorship-schema.js';
import {
  consentEvents,
  inboundMessages,
  members,
  messages,
  suppressions,
  type ConsentEvent,
  type Suppression,
} from './schema.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Conn = Db | Tx;

export type ConsentPurpose = ConsentEvent['purpose'];
export type ConsentSource = ConsentEvent['source'];
export type SuppressionReason = Suppression['reason'];

export interface ConsentChange {
  phone: string;
  purpose: ConsentPurpose;
  action: 'opt_in' | 'opt_out';
  source: ConsentSource;
  evidence?: Record<string, unknown>;
  /** Business key (e.g. `inbound:<id>`): the same request recorded twice is one event. */
  dedupeKey?: string;
}

export interface ConsentState {
  phone: string;
  suppressed: SuppressionReason[];
  /** No global opt-out in force and the number is reachable. Members consent to their own check-ins at signup. */
  transactional: boolean;
  /** An explicit marketing opt-in that no later opt-out (marketing or global) revoked. */
  marketing: boolean;
  optedOut: boolean;
  /** Consent by purpose (db/consent-rules.ts): a text is sent only with consent for its purpose. */
  purposes: PurposeConsent;
}

/** Reasons lifted when the person opts back in (they texted START, so the carrier block is lifted too). */
const LIFTED_BY_OPT_IN: SuppressionReason[] = ['opt_out', 'carrier_unsubscribed'];

/** Consent to share within a crew (anonymised pulses, reflections): recorded per crew, never a texting permission. */
export const SHARING_PURPOSES: ConsentPurpose[] = ['crew_pulses', 'crew_reflections'];

/**
 * Record a member's consent to share (or its withdrawal) within one crew, with its evidence (the crew, the member,
 * how it was given). Idempotent on `dedupeKey` (a retried join records its consent once). Runs in the caller's
 * transaction, so the membership and its consent are written together.
 */
export async function recordSharingConsent(
  db: Conn,
  args: {
    phone: string;
    purpose: 'crew_pulses' | 'crew_reflections';
    action: 'opt_in' | 'opt_out';
    source: ConsentSource;
    evidence: Record<string, unknown>;
    dedupeKey: string;
  },
): Promise<void> {
  await db
    .insert(consentEvents)
    .values({
      phone: args.phone,
      purpose: args.purpose,
      action: args.action,
      source: args.source,
      evidence: args.evidence,
      dedupeKey: args.dedupeKey,
      changed: true,
    })
    .onConflictDoNothing({ target: consentEvents.dedupeKey });
}

export async function consentState(db: Conn, phone: string): Promise<ConsentState> {
  const [supp, events, erased] = await Promise.all([
    db.select().from(suppressions).where(eq(suppressions.phone, phone)),
    db.select().from(consentEvents).where(eq(consentEvents.phone, phone)).orderBy(asc(consentEvents.id)),
    erasedSuppressions(db, phone),
  ]);
  return stateOf(phone, [...supp, ...keptByErasure(erased, supp, events)], events);
}

/** consentState for many numbers at once (three queries, whatever the count): phone → state. */
export async function consentStates(db: Conn, phones: readonly string[]): Promise<Map<string, ConsentState>> {
  const list = [...new Set(phones)];
  const out = new Map<string, ConsentState>();
  if (list.length === 0) return out;
  const [supp, events, erased] = await Promise.all([
    db.select().from(suppressions).where(inArray(suppressions.phone, list)),
    db.select().from(consentEvents).where(inArray(consentEvents.phone, list)).orderBy(asc(consentEvents.id)),
    erasedSuppressionsMany(db, list),
  ]);
  for (const phone of list) {
    const s = supp.filter((r) => r.phone === phone);
    const e = events.filter((r) => r.phone === phone);
    out.set(phone, stateOf(phone, [...s, ...keptByErasure(erased.get(phone) ?? [], s, e)], e));
  }
  return out;
}

/**
 * Suppressions an erasure kept by the number's hash (db/erasure.ts): they apply as if the rows were still there,
 * until the person opts back in (START after erasure lifts an opt-out as it would have before; the erasure deleted
 * every earlier ledger event, so any opt-in in the ledger is a later one).
 */
function keptByErasure(
  erased: string[],
  supp: Array<Pick<Suppression, 'reason'>>,
  events: Array<Pick<ConsentEvent, 'purpose' | 'action'>>,
): Array<Pick<Suppression, 'reason'>> {
  const optedIn = events.some(
    (e) => (e.purpose === 'all' || e.purpose === 'transactional') && e.action === 'opt_in',
  );
  return (erased as SuppressionReason[])
    .filter((r) => !supp.some((s) => s.reason === r))
    .filter((r) => !(optedIn && LIFTED_BY_OPT_IN.includes(r)))
    .map((reason) => ({ reason }));
}

/** A number's consent state from its suppressions and its ledger events (in id order). */
function stateOf(
  phone: string,
  supp: Array<Pick<Suppression, 'reason'>>,
  events: readonly LedgerEvent[],
): ConsentState {
  const suppressed = supp.map((s) => s.reason);
  const purposes = purposeConsent(events, suppressed.length > 0);
  return {
    phone,
    suppressed,
    optedOut: suppressed.includes('opt_out'),
    transactional: suppressed.length === 0,
    marketing: purposes.campaigns,
    purposes,
  };
}

/** A per-purpose change (checkins, crews, mentorship) changes the person's preference for that purpose. */
const PER_PURPOSE: ConsentPurpose[] = ['checkins', 'crews', 'mentorship'];

/**
 * Record an opt-in or opt-out and apply it to the suppression list. Returns whether the person's global state
 * changed (a second STOP from an opted-out number changes nothing and gets no second confirmation).
 */
export async function recordConsent(
  db: Db,
  change: ConsentChange,
): Promise<{ changed: boolean; event: ConsentEvent }> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${change.phone}))`);
    if (change.dedupeKey) {
      const [seen] = await tx
        .select()
        .from(consentEvents)
        .where(eq(consentEvents.dedupeKey, change.dedupeKey));
      if (seen) return { changed: seen.changed, event: seen }; // the same request again: same answer
    }
    const before = await consentState(tx, change.phone);
    if (change.purpose === 'all' || change.purpose === 'transactional') {
      if (change.action === 'opt_out') {
        const detail = typeof change.evidence?.keyword === 'string' ? change.evidence.keyword : null;
        await tx
          .insert(suppressions)
          .values({ phone: change.phone, reason: 'opt_out', source: change.source, detail })
          .onConflictDoNothing();
      } else {
        await tx
          .delete(suppressions)
          .where(and(eq(suppressions.phone, change.phone), inArray(suppressions.reason, LIFTED_BY_OPT_IN)));
      }
    }
    const marketingAfter =
      change.purpose === 'marketing'
        ? change.action === 'opt_in' && before.transactional
        : change.action === 'opt_out'
          ? false
          : before.marketing;
    const perPurpose = PER_PURPOSE.includes(change.purpose)
      ? (change.purpose as 'checkins' | 'crews' | 'mentorship')
      : null;
    let preferenceChanged = false;
    if (perPurpose) {
      // The person's preference for this purpose, suppression aside (a purpose revoked while STOP is in force is
      // still revoked after START).
      const events = await tx
        .select({ purpose: consentEvents.purpose, action: consentEvents.action })
        .from(consentEvents)
        .where(eq(consentEvents.phone, change.phone))
        .orderBy(asc(consentEvents.id));
      const after = purposeConsent([...events, { purpose: perPurpose, action: change.action }], false);
      preferenceChanged = purposeConsent(events, false)[perPurpose] !== after[perPurpose];
    }
    const changed = perPurpose
      ? preferenceChanged
      : change.purpose === 'marketing'
        ? before.marketing !== marketingAfter
        : change.action === 'opt_out'
          ? !before.optedOut
          : before.suppressed.some((r) => LIFTED_BY_OPT_IN.includes(r));
    const [event] = await tx
      .insert(consentEvents)
      .values({
        phone: change.phone,
        purpose: change.purpose,
        action: change.action,
        source: change.source,
        evidence: change.evidence ?? {},
        dedupeKey: change.dedupeKey ?? null,
        changed,
      })
      .returning();
    return { changed, event: event! };
  });
}

/**
 * The person unsubscribed at the carrier / Twilio (error 21610: they texted STOP there, not to us). That is an
 * opt-out by the person, so besides the `carrier_unsubscribed` suppression it goes into the ledger (purpose `all`,
 * source `carrier`): the history shows why the number is blocked, and — like any global opt-out — it revokes
 * marketing consent, which a later START does not bring back. Idempotent on `dedupeKey` (a redelivered callback).
 * Runs inside the caller's transaction.
 */
export async function recordCarrierUnsubscribe(
  tx: Tx,
  args: { phone: string; dedupeKey: string; evidence: Record<string, unknown>; detail: string },
): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${args.phone}))`);
  const before = await consentState(tx, args.phone);
  await suppress(tx, args.phone, 'carrier_unsubscribed', 'carrier', args.detail);
  await tx
    .insert(consentEvents)
    .values({
      phone: args.phone,
      purpose: 'all',
      action: 'opt_out',
      source: 'carrier',
      evidence: args.evidence,
      dedupeKey: args.dedupeKey,
      changed: !before.suppressed.some((r) => LIFTED_BY_OPT_IN.includes(r)),
    })
    .onConflictDoNothing({ target: consentEvents.dedupeKey });
}

/** Carrier or provider says we must not (or cannot) text this number. */
export async function suppress(
  db: Conn,
  phone: string,
  reason: SuppressionReason,
  source: string,
  detail?: string,
): Promise<void> {
  await db
    .insert(suppressions)
    .values({ phone, reason, source, detail: detail ?? null })
    .onConflictDoNothing();
}

export async function consentHistory(db: Db, phone: string) {
  return db.select().from(consentEvents).where(eq(consentEvents.phone, phone)).orderBy(asc(consentEvents.id));
}

/**
 * Marketing opt-ins of many numbers at once (a guest import's batch), inside the caller's transaction: the same
 * rule and ledger rows as `recordConsent` (an opt-in never lifts a suppression; `changed` when it grants marketing
 * consent the number did not have), with a handful of queries per batch instead of a transaction per number.
 * Idempotent on each `dedupeKey`. The per-number advisory locks are taken in one fixed order (no deadlock between
 * two imports).
 */
export async function recordMarketingOptIns(
  tx: Tx,
  items: Array<{
    phone: string;
    source: ConsentSource;
    evidence: Record<string, unknown>;
    dedupeKey: string;
  }>,
): Promise<void> {
  if (items.length === 0) return;
  const phones = [...new Set(items.map((i) => i.phone))];
  const list = sql.join(
    phones.map((p) => sql`${p}`),
    sql`, `,
  );
  await tx.execute(sql`select pg_advisory_xact_lock(h)
    from (select distinct hashtext(p) as h from unnest(array[${list}]::text[]) as p order by 1) as locks`);
  const keys = items.map((i) => i.dedupeKey);
  const [seen, supp, events, erased] = await Promise.all([
    tx
      .select({ key: consentEvents.dedupeKey })
      .from(consentEvents)
      .where(inArray(consentEvents.dedupeKey, keys)),
    tx.select().from(suppressions).where(inArray(suppressions.phone, phones)),
    tx
      .select()
      .from(consentEvents)
      .where(inArray(consentEvents.phone, phones))
      .orderBy(asc(consentEvents.id)),
    // A STOP-listed number that was erased keeps its opt-out by its hash: an import does not make it consented.
    erasedSuppressionsOf(tx, phones),
  ]);
  const done = new Set(seen.map((r) => r.key));
  const suppOf = new Map<string, Suppression[]>();
  for (const s of supp) suppOf.set(s.phone, [...(suppOf.get(s.phone) ?? []), s]);
  const eventsOf = new Map<string, Array<Pick<ConsentEvent, 'purpose' | 'action'>>>();
  for (const e of events) eventsOf.set(e.phone, [...(eventsOf.get(e.phone) ?? []), e]);
  const rows = [];
  for (const item of items) {
    if (done.has(item.dedupeKey)) continue;
    done.add(item.dedupeKey);
    const history = eventsOf.get(item.phone) ?? [];
    const own = suppOf.get(item.phone) ?? [];
    const kept = keptByErasure(erased.get(item.phone) ?? [], own, history);
    const before = stateOf(item.phone, [...own, ...kept], history);
    const changed = before.marketing !== before.transactional;
    history.push({ purpose: 'marketing', action: 'opt_in' });
    eventsOf.set(item.phone, history);
    rows.push({
      phone: item.phone,
      purpose: 'marketing' as const,
      action: 'opt_in' as const,
      source: item.source,
      evidence: item.evidence,
      dedupeKey: item.dedupeKey,
      changed,
    });
  }
  if (rows.length)
    await tx.insert(consentEvents).values(rows).onConflictDoNothing({ target: consentEvents.dedupeKey });
}

/** The outbox keys of the texts that ask a new member to confirm (workflows/member: `welcome`, its reminder). */
const optInKeys = (memberId: string) => [`member:${memberId}:welcome`, `member:${memberId}:welcome_reminder`];

/**
 * A member's double opt-in: their YES (inbound `inboundId`) to the welcome text is recorded in the ledger as an
 * opt-in to check-ins (purpose `checkins`, source `signup`), with its evidence — the inbound message id and
 * provider sid of the YES, and the exact opt-in text the member was shown (the newest welcome or reminder sent
 * before the YES, by its outbox id). Never lifts a suppression (it is not a START). Idempotent: one event per
 * member (`signup:member:<id>`), so a retried activity records it once. Returns false when the member or the
 * inbound is gone (erased): nothing to record.
 */
export async function recordMemberOptIn(
  db: Db,
  args: { memberId: string; inboundId: number; confirmWord?: string },
): Promise<boolean> {
  const [member] = await db
    .select({ phone: members.phone, status: members.status })
    .from(members)
    .where(eq(members.id, args.memberId));
  const [inbound] = await db
    .select({
      id: inboundMessages.id,
      providerSid: inboundMessages.providerSid,
      fromPhone: inboundMessages.fromPhone,
      receivedAt: inboundMessages.receivedAt,
    })
    .from(inboundMessages)
    .where(eq(inboundMessages.id, args.inboundId));
  // Only the member's own YES is evidence of their consent.
  if (!member || member.status === 'erased' || !inbound || inbound.fromPhone !== member.phone) return false;
  const [shown] = await db
    .select({ id: messages.id, body: messages.body, kind: messages.kind, sentAt: messages.sentAt })
    .from(messages)
    .where(
      and(
        inArray(messages.idempotencyKey, optInKeys(args.memberId)),
        lte(messages.sentAt, inbound.receivedAt),
      ),
    )
    .orderBy(desc(messages.sentAt))
    .limit(1);
  await recordConsent(db, {
    phone: member.phone,
    purpose: 'checkins',
    action: 'opt_in',
    source: 'signup',
    evidence: {
      memberId: args.memberId,
      inboundMessageId: inbound.id,
      providerSid: inbound.providerSid,
      ...(args.confirmWord !== undefined && { confirmWord: args.confirmWord }),
      optInMessageId: shown?.id ?? null,
      optInKind: shown?.kind ?? null,
      optInText: shown?.body ?? null,
      optInSentAt: shown?.sentAt?.toISOString() ?? null,
    },
    dedupeKey: `signup:member:${args.memberId}`,
  });
  return true;
}

/** The words a mentor accepts an offer with (workflows/mentorship-match/workflow.ts `handleReplies`). */
const ACCEPT_WORDS = ['YES', 'Y', 'ACCEPT', 'OK'];
const firstWord = (body: string) =>
  body
    .trim()
    .toUpperCase()
    .replace(/[^A-Z]/g, ' ')
    .split(' ')[0] ?? '';

/**
 * A mentor's opt-in to mentorship texts: their YES by SMS to a match offer, recorded like the member's double
 * opt-in (purpose `mentorship`, source `signup`) with its evidence — the YES (the newest accepting text from the
 * mentor's number that conversation routing delivered to `mentorship-match-<matchId>`: inbound id and provider
 * sid) and the exact offer text shown (the newest offer or reminder to that mentor handed to the provider before
 * the YES arrived, by its outbox id). Never lifts a suppression. Idempotent: one event per mentor and match. Returns false when there is
 * nothing to record (the mentor or the YES is gone).
 */
export async function recordMentorOptIn(
  db: Db,
  args: { matchId: string; mentorId: string },
): Promise<boolean> {
  const [mentor] = await db
    .select({ memberId: members.id, phone: members.phone, status: members.status })
    .from(mentors)
    .innerJoin(members, eq(members.id, mentors.memberId))
    .where(eq(mentors.id, args.mentorId));
  if (!mentor || mentor.status === 'erased') return false;
  const replies = await db
    .select({
      id: inboundMessages.id,
      providerSid: inboundMessages.providerSid,
      body: inboundMessages.body,
      receivedAt: inboundMessages.receivedAt,
    })
    .from(inboundMessages)
    .where(
      and(
        eq(inboundMessages.fromPhone, mentor.phone),
        eq(inboundMessages.routedTo, `mentorship-match-${args.matchId}`),
      ),
    )
    .orderBy(desc(inboundMessages.id))
    .limit(20);
  const yes = replies.find((r) => ACCEPT_WORDS.includes(firstWord(r.body)));
  if (!yes) return false;
  const offerKey = `mentorship-match:${args.matchId}:offer:${args.mentorId}`;
  const [shown] = await db
    .select({ id: messages.id, body: messages.body, kind: messages.kind, sentAt: messages.sentAt })
    .from(messages)
    .where(
      and(
        sql`(${messages.idempotencyKey} = ${offerKey} or ${messages.idempotencyKey} like ${`${offerKey}:reminder:%`})`,
        // Both stamped by the database clock (a send's `sent_at` is the worker's clock).
        lte(messages.createdAt, yes.receivedAt),
        isNotNull(messages.providerSid),
      ),
    )
    .orderBy(desc(messages.createdAt))
    .limit(1);
  await recordConsent(db, {
    phone: mentor.phone,
    purpose: 'mentorship',
    action: 'opt_in',
    source: 'signup',
    evidence: {
      memberId: mentor.memberId,
      mentorId: args.mentorId,
      matchId: args.matchId,
      inboundMessageId: yes.id,
      providerSid: yes.providerSid,
      optInMessageId: shown?.id ?? null,
      optInKind: shown?.kind ?? null,
      optInText: shown?.body ?? null,
      optInSentAt: shown?.sentAt?.toISOString() ?? null,
    },
    dedupeKey: `signup:mentor:${args.mentorId}:match:${args.matchId}`,
  });
  return true;
}
