/**
 * The outbound half of the messaging core: one activity, `sendSms`, that every workflow sends through.
 *
 * 1. Gate: suppression list and consent per purpose (drop), quiet hours in the recipient's zone and frequency
 *    caps (defer: the calling workflow sleeps on a durable timer and calls again).
 * 2. Exactly-once effect: an outbox row keyed by a business idempotency key is claimed before the provider is
 *    called; a key the provider has (or may have) accepted is never sent twice — an ambiguous attempt is
 *    reconciled with the provider first.
 * 3. Provider failures classified: permanent ones are non-retryable (and update suppression / validity),
 *    transient ones are retried by Temporal with backoff.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { and, eq, gt, inArray, ne, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { sendPurposeOf } from '../db/consent-rules.js';
import { consentState, consentStates, recordCarrierUnsubscribe, suppress } from '../db/consent.js';
import { phoneHash } from '../db/erasure.js';
import { recordExpectation } from '../db/inbound.js';
import {
  campaignTestSends,
  conversationExpectations,
  erasures,
  guests,
  inboundMessages,
  members,
  messages,
  type Message,
} from '../db/schema.js';
import { statusRank, statusRankSql } from '../db/status.js';
import {
  DEFAULT_POLICY,
  effectivePolicy,
  evaluateTiming,
  type CompliancePolicy,
  type Purpose,
  type QuietHoursWindow,
} from '../workflows/lib/compliance.js';
import {
  autoReplyBudget,
  kindsOfBudget,
  limitOf,
  type AutoReplyLimits,
} from '../workflows/lib/auto-replies.js';
import { countSegments } from '../workflows/lib/segments.js';
import { isErased } from '../workflows/lib/subject.js';
import { dailyCapDecision, HELD_STALE_MS, isDirectReply } from '../workflows/messaging/daily-cap.js';
import { createWorkerMetrics, labelValue, reasonFamily, type WorkerMetrics } from './metrics.js';
import { ProviderError, type OutboundSms, type SmsProvider } from './sms/provider.js';
import { validityPeriodSeconds } from './sms/validity.js';

/** Who to text. Never a phone number: workflow histories must not hold personal data. */
export type Recipient =
  | { memberId: string }
  | { replyToInboundId: number }
  | { guestId: string }
  /** A guest campaign's test send (its number is on the campaign_test_sends row). */
  | { campaignTestSendId: string };

export interface SendSmsInput {
  /** Business idempotency key, e.g. `member:<id>:checkin:<local date>`. Never a run or activity id. */
  idempotencyKey: string;
  to: Recipient;
  kind: string;
  purpose: Purpose;
  body: string;
  /** Overrides the purpose's quiet-hours window (e.g. nudges); null = none. */
  window?: QuietHoursWindow | null;
  /** Replies to STOP/START/HELP: must reach a number that has just opted out, and are never deferred. */
  keywordReply?: boolean;
  /**
   * This text expects an answer (conversation routing): the sending workflow (its id, from the activity's
   * context) is recorded as expecting replies from the recipient's phone that match `accepts` (e.g.
   * `checkin_reply`) until `untilMs`. A later non-keyword inbound from that phone goes to the newest open
   * expectation, else to the member's workflow, else it is stored as unrouted.
   */
  expectReply?: { accepts: string; untilMs: number };
  /** Guest campaigns: written to `messages.campaign_id`. */
  campaignId?: string;
  /**
   * A pacing lane inside the sender (a campaign's fair share): besides the sender's slot, sends of this lane are
   * spaced `segments ÷ mps` apart. Only where the sender is paced (`smsPerSecond`, not the sandbox).
   */
  lane?: { key: string; mps: number };
}

export type SendSmsResult =
  | { outcome: 'sent'; messageId: number; providerSid: string }
  | { outcome: 'already_sent'; messageId: number; providerSid: string | null }
  | { outcome: 'deferred'; untilMs: number; reason: DeferReason }
  | { outcome: 'dropped'; messageId: number | null; reason: string };

/** Why a text waits: quiet hours, a per-purpose frequency cap, or the per-phone daily cap (daily-cap.ts). */
export type DeferReason = 'quiet_hours' | 'frequency_cap' | 'daily_cap';

export type BatchItemResult = SendSmsResult | { outcome: 'failed'; reason: string };

/** Statuses after which the provider has the message: never send that key again. */
const HANDED_OVER = new Set([
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'partially_delivered',
  'read',
  'failed_at_carrier',
]);
/** Statuses that count towards frequency caps. */
const COUNTED = ['attempting', ...HANDED_OVER];
const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
/**
 * Sends are spaced a little below the carrier's rate so timer and network jitter (tens of ms) never make a
 * send arrive before the provider's bucket has refilled: 2 %, or 45 ms per second of slot at low MPS.
 */
export const pacingMargin = (mps: number): number => 1 + Math.max(0.02, 0.045 / mps);

export interface MessagingDeps {
  db: Db;
  sms: SmsProvider;
  policy?: CompliancePolicy;
  /** Zone used for quiet hours when the recipient is not a member (a reply to an unknown number). */
  defaultTimezone?: string;
  /** Sender MPS (segments per second): sends are spaced segments ÷ MPS apart. Omitted = no spacing. */
  smsPerSecond?: number;
  /** Where SMS outcomes and pacing lag are counted (worker/metrics.ts serves them); a private registry if omitted. */
  metrics?: WorkerMetrics;
  /**
   * Clarifications, hints and HELP answers per phone per hour (workflows/lib/auto-replies.ts); beyond them the
   * text is dropped as `auto_reply_limit`. Omitted = no limit (the config loader always sets it).
   */
  autoReplies?: AutoReplyLimits;
  /**
   * MAX_TEXTS_PER_DAY: texts that are not direct replies per phone per local day (workflows/messaging/daily-cap.ts);
   * beyond it a text is held to the next local day. Omitted = no daily cap (the config loader always sets it).
   */
  textsPerDay?: number;
}

/**
 * The activity's clock: the later of the server's schedule time for this attempt and the local clock. In
 * production that is the local clock; on the time-skipping test server it is the server's (skipped) time.
 */
function activityNow(): number {
  let scheduled = 0;
  try {
    scheduled = Context.current().info.currentAttemptScheduledTimestampMs;
  } catch {
    // called outside an activity (e.g. a unit test of the function itself)
  }
  return Math.max(scheduled, Date.now());
}

/** The business id of the workflow that called this activity (conversation routing), if any. */
function callingWorkflowId(): string | null {
  try {
    return Context.current().info.workflowExecution?.workflowId ?? null;
  } catch {
    return null;
  }
}

/**
 * The compliance policy one text is timed by (both send paths: `sendSms` and the batched wave): the configured
 * policy, with the text's own window (`input.window`, a nudge's or a campaign's) as its purpose's when it has one.
 */
function textPolicy(
  policy: CompliancePolicy,
  input: Pick<SendSmsInput, 'purpose' | 'window'>,
): CompliancePolicy {
  if (input.window === undefined) return policy;
  return {
    ...policy,
    purposes: {
      ...policy.purposes,
      [input.purpose]: { ...policy.purposes[input.purpose], window: input.window },
    },
  };
}

/** The window a text's validity period runs to: its own, else its purpose's for this number (regional rules too). */
function validityWindow(
  policy: CompliancePolicy,
  input: Pick<SendSmsInput, 'purpose' | 'window'>,
  phone: string,
): QuietHoursWindow | null {
  return input.window !== undefined ? input.window : effectivePolicy(policy, input.purpose, phone).window;
}

/** Twilio 21611 (the sender's queue is full): wait a minute, doubling per attempt, at most 30 minutes. */
export function queueFullDelayMs(attempt: number): number {
  return Math.min(30 * 60_000, 60_000 * 2 ** Math.max(0, attempt - 1));
}

export function createMessagingActivities(deps: MessagingDeps) {
  const { db, sms } = deps;
  const policy = deps.policy ?? DEFAULT_POLICY;
  const metrics = deps.metrics ?? createWorkerMetrics();
  const dropped = (kind: string, reason: string) =>
    metrics.smsDropped.inc({ kind: labelValue(kind), reason: reasonFamily(reason) });

  async function resolve(
    to: Recipient,
  ): Promise<{ phone: string; timezone: string; memberId: string | null } | null> {
    if ('campaignTestSendId' in to) {
      const t = await db.query.campaignTestSends.findFirst({
        where: eq(campaignTestSends.id, to.campaignTestSendId),
      });
      return t ? { phone: t.phone, timezone: t.timezone, memberId: null } : null;
    }
    if ('guestId' in to) {
      const g = await db.query.guests.findFirst({ where: eq(guests.id, to.guestId) });
      return g ? { phone: g.phone, timezone: g.timezone, memberId: null } : null;
    }
    if ('memberId' in to) {
      const m = await db.query.members.findFirst({ where: eq(members.id, to.memberId) });
      return m && m.status !== 'erased' ? { phone: m.phone, timezone: m.timezone, memberId: m.id } : null;
    }
    const inbound = await db.query.inboundMessages.findFirst({
      where: eq(inboundMessages.id, to.replyToInboundId),
    });
    if (!inbound) return null;
    const member = inbound.memberId
      ? await db.query.members.findFirst({ where: eq(members.id, inbound.memberId) })
      : undefined;
    return {
      phone: inbound.fromPhone,
      timezone: member?.timezone ?? deps.defaultTimezone ?? 'America/New_York',
      memberId: member?.id ?? null,
    };
  }

  async function recordDrop(
    input: SendSmsInput,
    phone: string,
    memberId: string | null,
    reason: string,
  ): Promise<SendSmsResult> {
    const [row] = await db
      .insert(messages)
      .values({ ...rowValues(input, phone, memberId), status: 'dropped', errorMessage: reason })
      .onConflictDoUpdate({
        target: messages.idempotencyKey,
        set: { status: 'dropped', errorMessage: reason, updatedAt: new Date() },
        setWhere: sql`${messages.providerSid} is null and ${messages.status} in ('pending', 'deferred')`,
      })
      .returning({ id: messages.id });
    return { outcome: 'dropped', messageId: row?.id ?? null, reason };
  }

  function rowValues(
    input: SendSmsInput,
    phone: string,
    memberId: string | null,
    validitySeconds: number | null = null,
  ) {
    return {
      idempotencyKey: input.idempotencyKey,
      memberId,
      toPhone: phone,
      body: input.body,
      kind: input.kind,
      purpose: input.purpose,
      provider: sms.name,
      segments: countSegments(input.body).segments,
      validitySeconds,
      campaignId: input.campaignId ?? null,
    };
  }

  async function sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    // A text whose recipient or quoted author was erased while it waited opens to the tombstone: never sendable,
    // never retried (the workflow records it as failed).
    if (isErased(input))
      throw ApplicationFailure.nonRetryable('the text belongs to an erased person', 'subject_erased');
    const nowMs = activityNow();
    const recipient = await resolve(input.to);
    if (!recipient) {
      dropped(input.kind, 'recipient_not_found');
      return { outcome: 'dropped', messageId: null, reason: 'recipient_not_found' };
    }
    const { phone, timezone, memberId } = recipient;

    const existing = await db.query.messages.findFirst({
      where: eq(messages.idempotencyKey, input.idempotencyKey),
    });
    if (existing) {
      const done = await settledOutcome(existing, input.lane);
      if (done) return done;
    }

    // Gate + claim, serialised per number so concurrent workflows cannot both pass a frequency cap.
    const gate = await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${phone}))`);
      const consent = await consentState(tx, phone);
      if (consent.suppressed.includes('invalid_number'))
        return { kind: 'drop', reason: 'invalid_number' } as const;
      if (await overAutoReplyLimit(tx, input.kind, phone, nowMs))
        return { kind: 'drop', reason: 'auto_reply_limit' } as const;
      if (!input.keywordReply) {
        if (consent.suppressed.length > 0)
          return { kind: 'drop', reason: `suppressed:${consent.suppressed.join(',')}` } as const;
        if (input.purpose === 'marketing' && !consent.marketing)
          return { kind: 'drop', reason: 'no_marketing_consent' } as const;
        // Consent per purpose (db/consent-rules.ts): a text of a purpose the person revoked is never sent.
        const consentPurpose = sendPurposeOf(input);
        if (consentPurpose && !consent.purposes[consentPurpose])
          return { kind: 'drop', reason: `no_consent:${consentPurpose}` } as const;
        if (deps.textsPerDay !== undefined && !isDirectReply(input)) {
          const held = await overDailyCap(tx, input, phone, memberId, timezone, nowMs, deps.textsPerDay);
          if (held)
            return { kind: 'defer', timing: { untilMs: held, reason: 'daily_cap' as const } } as const;
        }
        const recent = await tx
          .select({ sentAt: messages.sentAt })
          .from(messages)
          .where(
            and(
              eq(messages.toPhone, phone),
              eq(messages.purpose, input.purpose),
              gt(messages.sentAt, new Date(nowMs - DAY_MS)),
              inArray(messages.status, COUNTED),
            ),
          );
        const timing = evaluateTiming({
          nowMs,
          timezone,
          phone,
          purpose: input.purpose,
          recentSendsMs: recent.map((r) => r.sentAt!.getTime()),
          policy: textPolicy(policy, input),
        });
        if (timing.action === 'defer') return { kind: 'defer', timing } as const;
      }
      const validitySeconds = validityPeriodSeconds({
        kind: input.kind,
        keywordReply: input.keywordReply,
        nowMs,
        timezone,
        window: validityWindow(policy, input, phone),
      });
      // Conversation routing: who expects the answer, recorded with the outbox row (same transaction).
      const workflowId = input.expectReply ? callingWorkflowId() : null;
      if (input.expectReply && workflowId) {
        await recordExpectation(tx, {
          phone,
          workflowId,
          accepts: input.expectReply.accepts,
          expiresAt: new Date(input.expectReply.untilMs),
          idempotencyKey: input.idempotencyKey,
        });
      }
      // Claim: the row exists (status `attempting`, sent_at = now) before the provider is called.
      const [row] = await tx
        .insert(messages)
        .values({
          ...rowValues(input, phone, memberId, validitySeconds),
          status: 'attempting',
          attempts: 1,
          sentAt: new Date(nowMs),
        })
        .onConflictDoUpdate({
          target: messages.idempotencyKey,
          set: {
            status: 'attempting',
            attempts: sql`${messages.attempts} + 1`,
            sentAt: new Date(nowMs),
            errorMessage: null, // a text held by the daily cap goes out now
            validitySeconds,
            updatedAt: new Date(),
          },
          setWhere: sql`${messages.providerSid} is null and ${messages.status} in ('pending', 'deferred')`,
        })
        .returning();
      return { kind: 'claimed', row } as const;
    });

    if (gate.kind === 'drop') {
      dropped(input.kind, gate.reason);
      return recordDrop(input, phone, memberId, gate.reason);
    }
    if (gate.kind === 'defer') {
      metrics.smsDeferred.inc({ kind: labelValue(input.kind), reason: labelValue(gate.timing.reason) });
      return { outcome: 'deferred', untilMs: gate.timing.untilMs, reason: gate.timing.reason };
    }
    if (!gate.row) {
      // Someone else claimed it between our read and the claim: settle from its state.
      const row = await db.query.messages.findFirst({
        where: eq(messages.idempotencyKey, input.idempotencyKey),
      });
      const done = row && (await settledOutcome(row));
      if (done) return done;
      throw ApplicationFailure.retryable('outbox row busy', 'OutboxBusy');
    }
    return callProvider(gate.row, input.lane);
  }

  /**
   * The per-phone daily cap, inside the per-number lock. Counts other keys' texts (claimed or handed over, not
   * direct replies) in the recipient's local day, and the texts held before this one that still wait. Over the
   * cap: the text is held (outbox row `deferred`: its place in the queue is `created_at`, the database's clock when
   * first held; its last ask is `updated_at`, the activity's clock)
   * and the instant it may ask again is returned; null = it may go out. A retry of the same key counts once.
   */
  async function overDailyCap(
    tx: Pick<Db, 'select' | 'insert'>,
    input: SendSmsInput,
    phone: string,
    memberId: string | null,
    timezone: string,
    nowMs: number,
    cap: number,
  ): Promise<number | null> {
    const others = and(eq(messages.toPhone, phone), ne(messages.idempotencyKey, input.idempotencyKey));
    const sent = await tx
      .select({ sentAt: messages.sentAt, kind: messages.kind })
      .from(messages)
      .where(
        and(others, gt(messages.sentAt, new Date(nowMs - 2 * DAY_MS)), inArray(messages.status, COUNTED)),
      );
    const [mine] = await tx
      .select({ id: messages.id, createdAt: messages.createdAt, status: messages.status })
      .from(messages)
      .where(eq(messages.idempotencyKey, input.idempotencyKey));
    const heldMine = mine?.status === 'deferred' ? mine : null;
    const [ahead] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(messages)
      .where(
        and(
          others,
          eq(messages.status, 'deferred'),
          gt(messages.updatedAt, new Date(nowMs - HELD_STALE_MS)),
          heldMine
            ? sql`(${messages.createdAt}, ${messages.id}) < (${heldMine.createdAt.toISOString()}::timestamptz, ${heldMine.id})`
            : undefined,
        ),
      );
    const decision = dailyCapDecision({
      nowMs,
      timezone,
      cap,
      sentMs: sent.filter((r) => !isDirectReply({ kind: r.kind, to: {} })).map((r) => r.sentAt!.getTime()),
      heldAhead: ahead?.n ?? 0,
    });
    if (decision.action === 'send') return null;
    // Held: the row keeps its first held instant (its place in the queue); each ask refreshes `updated_at`.
    await tx
      .insert(messages)
      .values({
        ...rowValues(input, phone, memberId),
        status: 'deferred',
        errorMessage: 'daily_cap',
        updatedAt: new Date(nowMs),
      })
      .onConflictDoUpdate({
        target: messages.idempotencyKey,
        set: { status: 'deferred', errorMessage: 'daily_cap', updatedAt: new Date(nowMs) },
        setWhere: sql`${messages.providerSid} is null and ${messages.status} in ('pending', 'deferred')`,
      });
    return decision.untilMs;
  }

  /**
   * An automatic reply (clarification, hint, HELP answer) beyond its per-phone hourly budget. Counted from the
   * outbox (texts claimed or handed over in the last hour), inside the per-number lock, so concurrent workflows
   * cannot both pass and a retried send (same key, found above) is never counted twice.
   */
  async function overAutoReplyLimit(tx: Pick<Db, 'select'>, kind: string, phone: string, nowMs: number) {
    const budget = autoReplyBudget(kind);
    if (!budget || !deps.autoReplies) return false;
    const limit = limitOf(deps.autoReplies, budget);
    if (!Number.isFinite(limit)) return false;
    const [row] = await tx
      .select({ n: sql<number>`count(*)::int` })
      .from(messages)
      .where(
        and(
          eq(messages.toPhone, phone),
          inArray(messages.kind, [...kindsOfBudget(budget)]),
          gt(messages.sentAt, new Date(nowMs - HOUR_MS)),
          inArray(messages.status, COUNTED),
        ),
      );
    return (row?.n ?? 0) >= limit;
  }

  /** A row that already has an outcome; or null if a (new) provider attempt is needed. */
  async function settledOutcome(row: Message, lane?: SendSmsInput['lane']): Promise<SendSmsResult | null> {
    if (row.providerSid || HANDED_OVER.has(row.status)) {
      return { outcome: 'already_sent', messageId: row.id, providerSid: row.providerSid };
    }
    if (row.status === 'failed' || row.status === 'dropped') {
      return { outcome: 'dropped', messageId: row.id, reason: row.errorMessage ?? row.status };
    }
    if (row.status === 'attempting') {
      // A previous attempt may have reached the provider and died before recording it: look before resending.
      const found = await sms.findSent(outbound(row), new Date(row.updatedAt.getTime() - 60_000));
      if (found) {
        await markSent(row.id, found.sid, found.status, found.from);
        Context.current().log.info('reconciled an ambiguous send', { messageId: row.id });
        return { outcome: 'already_sent', messageId: row.id, providerSid: found.sid };
      }
      // Not there: the attempt never reached the provider. Send it now.
      await db
        .update(messages)
        .set({ attempts: sql`${messages.attempts} + 1`, updatedAt: new Date() })
        .where(eq(messages.id, row.id));
      return callProvider(row, lane);
    }
    return null;
  }

  function outbound(row: Message): OutboundSms {
    return {
      outboxId: row.id,
      idempotencyKey: row.idempotencyKey,
      to: row.toPhone,
      body: row.body,
      ...(row.validitySeconds !== null && { validitySeconds: row.validitySeconds }),
    };
  }

  /**
   * Wait for this message's send slot. A message of k segments occupies the k ÷ MPS seconds that END at its send
   * time, so in any one-second window the provider sees at most MPS segments. Slots are reserved in Postgres (one atomic upsert per send, on the
   * database clock so worker clocks do not matter), `segments ÷ MPS` seconds apart, shared by every worker.
   */
  async function waitForSlot(row: Message, lane?: SendSmsInput['lane']): Promise<void> {
    if (!deps.smsPerSecond || sms.name === 'sandbox') return;
    // A lane (a campaign's share) first: its sends are spaced by its own rate, then they queue for the sender.
    // No safety margin on a lane: its rate is a share of the sender's already-margined rate (or the campaign's
    // own limit), and the sender's reservation below is what keeps the carrier's bucket from answering 429.
    if (lane && lane.mps > 0) await reserveSlot(`${sms.sender}#${lane.key}`, row.segments / lane.mps);
    const seconds = (row.segments / deps.smsPerSecond) * pacingMargin(deps.smsPerSecond);
    const startedMs = Date.now();
    const plannedMs = await reserveSlot(sms.sender, seconds);
    // Release: never closer than this message's own segments ÷ MPS after the previous actual release, so a
    // send that woke late (a busy event loop) is not followed by one on time — the provider would see a burst.
    const [release] = await db.execute<{ wait_ms: number }>(sql`
      with prev as (select last_sent_at from sms_pacing where sender = ${sms.sender} for update)
      update sms_pacing set last_sent_at = greatest(coalesce((select last_sent_at from prev) + make_interval(secs => ${seconds}), clock_timestamp()), clock_timestamp())
      where sender = ${sms.sender}
      returning greatest(0, extract(epoch from (last_sent_at - clock_timestamp())) * 1000)::float8 as wait_ms`);
    const releaseMs = Number(release?.wait_ms ?? 0);
    if (releaseMs > 0) await new Promise((r) => setTimeout(r, releaseMs));
    // Lag: how late the send leaves against the slot it reserved (a busy event loop, a slow release query).
    metrics.pacingLag.observe(Math.max(0, Date.now() - plannedMs) / 1000);
    metrics.pacingWait.observe(Math.max(0, Date.now() - startedMs) / 1000);
  }

  /** Reserve the next slot `seconds` long on this pacing key and sleep until it; returns the planned instant (ms). */
  async function reserveSlot(key: string, seconds: number): Promise<number> {
    const [slot] = await db.execute<{ slot_ms: number; db_now_ms: number }>(sql`
      insert into sms_pacing (sender, next_slot_at) values (${key}, clock_timestamp() + make_interval(secs => ${seconds}))
      on conflict (sender) do update
        set next_slot_at = greatest(sms_pacing.next_slot_at, clock_timestamp()) + make_interval(secs => ${seconds})
      returning extract(epoch from next_slot_at) * 1000 as slot_ms,
                extract(epoch from clock_timestamp()) * 1000 as db_now_ms`);
    if (!slot) return Date.now();
    // Sleep to the slot's absolute time, corrected by the skew between our clock and the database's.
    const skew = Date.now() - Number(slot.db_now_ms);
    const plannedMs = Number(slot.slot_ms) + skew;
    const waitMs = plannedMs - Date.now();
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
    return plannedMs;
  }

  async function callProvider(row: Message, lane?: SendSmsInput['lane']): Promise<SendSmsResult> {
    await waitForSlot(row, lane);
    try {
      const res = await sms.send(outbound(row));
      metrics.smsSent.inc({ kind: labelValue(row.kind), purpose: labelValue(row.purpose) });
      await markSent(row.id, res.sid, res.status, res.from);
      return { outcome: 'sent', messageId: row.id, providerSid: res.sid };
    } catch (err) {
      return providerFailure(row, err);
    }
  }

  /** Classify a failed provider call: record it on the row (and the number), then throw what Temporal should do. */
  async function providerFailure(row: Message, err: unknown): Promise<never> {
    {
      if (!(err instanceof ProviderError)) throw err;
      const { failureClass, code } = err;
      const errorLabels = { kind: labelValue(row.kind), code: labelValue(code), failure_class: failureClass };
      metrics.smsProviderErrors.inc(errorLabels);
      if (failureClass === 'transient' || failureClass === 'queue_full') {
        // Certainly not processed (e.g. 429): back to pending; Temporal retries with backoff. A full sender
        // queue (21611) will not drain in seconds: the next attempt waits minutes, doubling.
        await db
          .update(messages)
          .set({ status: 'pending', errorCode: code, updatedAt: new Date() })
          .where(eq(messages.id, row.id));
        if (failureClass === 'queue_full') {
          const attempt = Context.current().info.attempt;
          Context.current().log.warn('sms sender queue full; retrying later', {
            messageId: row.id,
            code,
            attempt,
          });
          throw ApplicationFailure.create({
            message: err.message,
            type: 'ProviderQueueFull',
            details: [{ code }],
            nextRetryDelay: queueFullDelayMs(attempt),
          });
        }
        throw ApplicationFailure.retryable(err.message, 'ProviderTransient', { code });
      }
      if (failureClass === 'ambiguous') {
        // Stays `attempting`: the next attempt reconciles with the provider before sending again.
        throw ApplicationFailure.retryable(err.message, 'ProviderAmbiguous', { code });
      }
      if (failureClass === 'suppress') {
        // The person opted out at the carrier/Twilio: block the number and say so in the consent ledger.
        await db.transaction((tx) =>
          recordCarrierUnsubscribe(tx, {
            phone: row.toPhone,
            dedupeKey: `message:${row.id}:${code}`,
            evidence: { messageId: row.id, errorCode: code },
            detail: String(code),
          }),
        );
      }
      if (failureClass === 'invalid_number')
        await suppress(db, row.toPhone, 'invalid_number', 'provider', String(code));
      // region_blocked (21408): the account lacks permission for that country — the number is fine, so it is
      // not suppressed; the message fails with its code (GET /messages shows it) and the log names the code.
      await db
        .update(messages)
        .set({
          status: 'failed',
          errorCode: code,
          errorMessage: `${failureClass}: ${err.message}`,
          updatedAt: new Date(),
        })
        .where(eq(messages.id, row.id));
      metrics.smsFailed.inc(errorLabels);
      Context.current().log.warn('sms permanently failed', { messageId: row.id, code, failureClass });
      throw ApplicationFailure.nonRetryable(err.message, `Provider_${failureClass}`, {
        code,
        messageId: row.id,
      });
    }
  }

  /** Record the provider's answer; a status callback that already moved the row further is kept. */
  async function markSent(id: number, sid: string, status: string, from: string | null) {
    await db.transaction(async (tx) => {
      const [current] = await tx
        .select({ status: messages.status })
        .from(messages)
        .where(eq(messages.id, id))
        .for('update');
      const forward = !current || statusRank(status) > statusRank(current.status);
      await tx
        .update(messages)
        .set({ providerSid: sid, fromPhone: from, updatedAt: new Date(), ...(forward ? { status } : {}) })
        .where(eq(messages.id, id));
    });
  }

  /**
   * Several recipients in one activity (campaign-sized sends): each item goes through exactly the same gate,
   * outbox and pacing as `sendSms`, with a heartbeat per item. A permanent failure is that item's result; a
   * transient one fails the batch, and Temporal's retry re-runs it, where items already sent are no-ops.
   */
  async function sendSmsBatch(items: SendSmsInput[]): Promise<BatchItemResult[]> {
    const results: BatchItemResult[] = [];
    for (const [i, item] of items.entries()) {
      try {
        results.push(await sendSms(item));
      } catch (err) {
        if (err instanceof ApplicationFailure && err.nonRetryable) {
          results.push({ outcome: 'failed', reason: err.type ?? err.message });
        } else {
          throw err;
        }
      }
      Context.current().heartbeat(i);
    }
    return results;
  }

  /**
   * A pacing lane's share for a whole wave of texts at once (guest campaigns): reserves `segments ÷ mps` seconds
   * per text on the lane's key in one statement and sleeps until the wave's first text may leave, so waves of a
   * lane start `Σ segments ÷ mps` apart — the lane's rate — and leave as a burst at the sender's rate. Only where
   * the sender is paced.
   */
  async function reserveLaneWave(lane: { key: string; mps: number }, segments: number): Promise<void> {
    if (!deps.smsPerSecond || sms.name === 'sandbox' || !(lane.mps > 0) || segments <= 0) return;
    // Unmargined, as in waitForSlot: the sender's own reservation (in sendSmsWave) carries the margin.
    const total = segments / lane.mps;
    const [slot] = await db.execute<{ slot_ms: number; db_now_ms: number }>(sql`
      insert into sms_pacing (sender, next_slot_at) values (${`${sms.sender}#${lane.key}`}, clock_timestamp() + make_interval(secs => ${total}))
      on conflict (sender) do update
        set next_slot_at = greatest(sms_pacing.next_slot_at, clock_timestamp()) + make_interval(secs => ${total})
      returning extract(epoch from next_slot_at) * 1000 as slot_ms,
                extract(epoch from clock_timestamp()) * 1000 as db_now_ms`);
    if (!slot) return;
    // The wave occupies [end − total, end] on the lane: it starts at the beginning of that span.
    const startMs = Number(slot.slot_ms) - total * 1000 + (Date.now() - Number(slot.db_now_ms));
    const waitMs = startMs - Date.now();
    if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  }

  /**
   * `sendSms` for a wave of texts whose recipients the caller has already read (guest campaigns): the same
   * decisions — suppression, marketing consent, the daily cap, the purpose's frequency cap and quiet hours, the
   * outbox claim by business key, the sender's pacing, provider failures classified — with a constant number of
   * round trips per wave instead of ~20 per text: one read of the keys' outbox rows; one gate transaction (the
   * numbers' advisory locks in one statement, in hash order so two waves never deadlock; their consent, recent
   * sends and held texts in one query each; held, expectation, claim and drop rows each in one multi-row
   * statement); the sender's slots for the whole wave in one reservation; one bulk `markSent`; one release
   * update. Texts of the same number in one wave count against each other as if sent one after another.
   * A key with an outbox row already past the gate (sent, dropped, or an ambiguous attempt to reconcile) goes
   * through `sendSms`'s own settling, one at a time. Each text's outcome is its slot in the result: a provider
   * failure is that text's error (the caller decides what to rethrow), never the wave's.
   */
  async function sendSmsWave(
    items: ReadonlyArray<{ input: SendSmsInput; phone: string; timezone: string }>,
  ): Promise<PromiseSettledResult<SendSmsResult>[]> {
    const results: (PromiseSettledResult<SendSmsResult> | undefined)[] = new Array(items.length);
    if (items.length === 0) return [];
    const nowMs = activityNow();
    const keys = items.map((it) => it.input.idempotencyKey);
    const existing = new Map(
      (await db.select().from(messages).where(inArray(messages.idempotencyKey, keys))).map((m) => [
        m.idempotencyKey,
        m,
      ]),
    );
    const settle = async (i: number, p: () => Promise<SendSmsResult | null>) => {
      try {
        const r = await p();
        if (r) results[i] = { status: 'fulfilled', value: r };
      } catch (error) {
        results[i] = { status: 'rejected', reason: error };
      }
    };
    // Past the gate already, or not a campaign-style text (keyword replies, auto-reply budgets): one at a time.
    const gated: number[] = [];
    const alone: Promise<void>[] = [];
    for (const [i, it] of items.entries()) {
      const row = existing.get(it.input.idempotencyKey);
      if (it.input.keywordReply || autoReplyBudget(it.input.kind)) {
        alone.push(settle(i, () => sendSms(it.input)));
      } else if (row && row.status !== 'pending' && row.status !== 'deferred') {
        alone.push(settle(i, () => settledOutcome(row)));
      } else {
        gated.push(i);
      }
    }
    await Promise.all(alone);
    // Everything left is held, dropped or claimed by the gate below.
    type Decision =
      | { kind: 'drop'; reason: string }
      /** The guest was erased after the caller read them: no text, and no row that would hold the number again. */
      | { kind: 'erased' }
      | { kind: 'defer'; untilMs: number; reason: DeferReason }
      | { kind: 'claim'; validitySeconds: number };
    const decisions = new Map<number, Decision>();
    const claimed = new Map<string, Message>();
    const dropRows = new Map<string, number | null>();
    if (gated.length) {
      const phones = [...new Set(gated.map((i) => items[i]!.phone))];
      await db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(h) from (
            select distinct hashtext(p) as h from unnest(array[${sql.join(
              phones.map((p) => sql`${p}`),
              sql`, `,
            )}]::text[]) as p order by h
          ) s`);
        const guestItems = gated.flatMap((i) => {
          const to = items[i]!.input.to;
          return 'guestId' in to ? [sql`(${to.guestId}::uuid, ${phoneHash(items[i]!.phone)})`] : [];
        });
        const [consent, counted, held, liveGuests] = await Promise.all([
          consentStates(tx, phones),
          tx
            .select({
              toPhone: messages.toPhone,
              idempotencyKey: messages.idempotencyKey,
              sentAt: messages.sentAt,
              kind: messages.kind,
              purpose: messages.purpose,
            })
            .from(messages)
            .where(
              and(
                inArray(messages.toPhone, phones),
                gt(messages.sentAt, new Date(nowMs - 2 * DAY_MS)),
                inArray(messages.status, COUNTED),
              ),
            ),
          tx
            .select({
              id: messages.id,
              toPhone: messages.toPhone,
              idempotencyKey: messages.idempotencyKey,
              createdAt: messages.createdAt,
            })
            .from(messages)
            .where(
              and(
                inArray(messages.toPhone, phones),
                eq(messages.status, 'deferred'),
                gt(messages.updatedAt, new Date(nowMs - HELD_STALE_MS)),
              ),
            ),
          // Erasure (db/erasure.ts `erasePhone`, db/members.ts `eraseMember`) deletes a number's guest rows; read
          // under the numbers' locks, a guest the caller read before an erasure is not texted after it. The erasure
          // hash list too: a guest row older than an erasure of its number (written by an import that ran while
          // the erasure did) is not texted either; a number imported again after its erasure is.
          guestItems.length
            ? tx.execute<{ id: string }>(sql`select g.id
                from (values ${sql.join(guestItems, sql`, `)}) as v(guest_id, phone_hash)
                join ${guests} g on g.id = v.guest_id
                where not exists (select 1 from ${erasures} e
                  where e.phone_hash = v.phone_hash and e.requested_at >= g.created_at)`)
            : Promise.resolve([]),
        ]);
        const live = new Set(Array.from(liveGuests, (g) => g.id));
        // Per number: what counts (sent or claimed, with this wave's claims added as they are decided) and what
        // is held; the held row of a key itself is its place in the queue.
        const sentBy = new Map<string, { key: string; sentMs: number; kind: string; purpose: string }[]>();
        for (const r of counted) {
          const list = sentBy.get(r.toPhone) ?? [];
          list.push({ key: r.idempotencyKey, sentMs: r.sentAt!.getTime(), kind: r.kind, purpose: r.purpose });
          sentBy.set(r.toPhone, list);
        }
        const heldBy = new Map<string, { key: string; id: number; createdMs: number }[]>();
        for (const r of held) {
          const list = heldBy.get(r.toPhone) ?? [];
          list.push({ key: r.idempotencyKey, id: r.id, createdMs: r.createdAt.getTime() });
          heldBy.set(r.toPhone, list);
        }
        for (const i of gated) {
          const { input, phone, timezone } = items[i]!;
          const state = consent.get(phone)!;
          let d: Decision | null = null;
          if ('guestId' in input.to && !live.has(input.to.guestId)) d = { kind: 'erased' };
          else if (state.suppressed.includes('invalid_number'))
            d = { kind: 'drop', reason: 'invalid_number' };
          else if (state.suppressed.length > 0)
            d = { kind: 'drop', reason: `suppressed:${state.suppressed.join(',')}` };
          else if (input.purpose === 'marketing' && !state.marketing)
            d = { kind: 'drop', reason: 'no_marketing_consent' };
          const sent = sentBy.get(phone) ?? [];
          const heldHere = heldBy.get(phone) ?? [];
          if (!d && deps.textsPerDay !== undefined && !isDirectReply(input)) {
            const mine = heldHere.find((h) => h.key === input.idempotencyKey);
            const ahead = heldHere.filter(
              (h) =>
                h.key !== input.idempotencyKey &&
                (!mine || h.createdMs < mine.createdMs || (h.createdMs === mine.createdMs && h.id < mine.id)),
            ).length;
            const decision = dailyCapDecision({
              nowMs,
              timezone,
              cap: deps.textsPerDay,
              sentMs: sent
                .filter((r) => r.key !== input.idempotencyKey && !isDirectReply({ kind: r.kind, to: {} }))
                .map((r) => r.sentMs),
              heldAhead: ahead,
            });
            if (decision.action === 'defer') {
              d = { kind: 'defer', untilMs: decision.untilMs, reason: 'daily_cap' };
              // Held after the texts already held here: a later text of this number in the wave queues behind it.
              if (!mine)
                heldHere.push({ key: input.idempotencyKey, id: Number.MAX_SAFE_INTEGER, createdMs: nowMs });
              heldBy.set(phone, heldHere);
            }
          }
          if (!d) {
            const timing = evaluateTiming({
              nowMs,
              timezone,
              phone,
              purpose: input.purpose,
              recentSendsMs: sent
                .filter((r) => r.purpose === input.purpose && r.sentMs > nowMs - DAY_MS)
                .map((r) => r.sentMs),
              policy: textPolicy(policy, input),
            });
            if (timing.action === 'defer')
              d = { kind: 'defer', untilMs: timing.untilMs, reason: timing.reason };
          }
          if (!d) {
            d = {
              kind: 'claim',
              validitySeconds: validityPeriodSeconds({
                kind: input.kind,
                nowMs,
                timezone,
                window: validityWindow(policy, input, phone),
              }),
            };
            sent.push({ key: input.idempotencyKey, sentMs: nowMs, kind: input.kind, purpose: input.purpose });
            sentBy.set(phone, sent);
          }
          decisions.set(i, d);
        }
        const of = (kind: Decision['kind']) => gated.filter((i) => decisions.get(i)!.kind === kind);
        const busy = sql`${messages.providerSid} is null and ${messages.status} in ('pending', 'deferred')`;
        const capHeld = of('defer').filter(
          (i) => (decisions.get(i) as { reason: string }).reason === 'daily_cap',
        );
        if (capHeld.length)
          await tx
            .insert(messages)
            .values(
              capHeld.map((i) => ({
                ...rowValues(items[i]!.input, items[i]!.phone, null),
                status: 'deferred',
                errorMessage: 'daily_cap',
                updatedAt: new Date(nowMs),
              })),
            )
            .onConflictDoUpdate({
              target: messages.idempotencyKey,
              set: { status: 'deferred', errorMessage: 'daily_cap', updatedAt: new Date(nowMs) },
              setWhere: busy,
            });
        const toClaim = of('claim');
        const workflowId = callingWorkflowId();
        const expecting = toClaim.filter((i) => items[i]!.input.expectReply);
        if (workflowId && expecting.length)
          await tx
            .insert(conversationExpectations)
            .values(
              expecting.map((i) => ({
                phone: items[i]!.phone,
                workflowId,
                accepts: items[i]!.input.expectReply!.accepts,
                expiresAt: new Date(items[i]!.input.expectReply!.untilMs),
                idempotencyKey: items[i]!.input.idempotencyKey,
              })),
            )
            .onConflictDoNothing({ target: conversationExpectations.idempotencyKey });
        if (toClaim.length) {
          const rows = await tx
            .insert(messages)
            .values(
              toClaim.map((i) => ({
                ...rowValues(
                  items[i]!.input,
                  items[i]!.phone,
                  null,
                  (decisions.get(i) as { validitySeconds: number }).validitySeconds,
                ),
                status: 'attempting',
                attempts: 1,
                sentAt: new Date(nowMs),
              })),
            )
            .onConflictDoUpdate({
              target: messages.idempotencyKey,
              set: {
                status: 'attempting',
                attempts: sql`${messages.attempts} + 1`,
                sentAt: new Date(nowMs),
                errorMessage: null,
                validitySeconds: sql`excluded.validity_seconds`,
                updatedAt: new Date(),
              },
              setWhere: busy,
            })
            .returning();
          for (const r of rows) claimed.set(r.idempotencyKey, r);
        }
        const drops = of('drop');
        if (drops.length) {
          const rows = await tx
            .insert(messages)
            .values(
              drops.map((i) => ({
                ...rowValues(items[i]!.input, items[i]!.phone, null),
                status: 'dropped',
                errorMessage: (decisions.get(i) as { reason: string }).reason,
              })),
            )
            .onConflictDoUpdate({
              target: messages.idempotencyKey,
              set: { status: 'dropped', errorMessage: sql`excluded.error_message`, updatedAt: new Date() },
              setWhere: busy,
            })
            .returning({ id: messages.id, idempotencyKey: messages.idempotencyKey });
          for (const r of rows) dropRows.set(r.idempotencyKey, r.id);
        }
      });
    }
    // Outcomes of the gate; the claimed texts go to the provider as one burst at the sender's rate.
    const burst: { i: number; row: Message }[] = [];
    const late: Promise<void>[] = [];
    for (const i of gated) {
      const d = decisions.get(i)!;
      const { input } = items[i]!;
      if (d.kind === 'erased') {
        dropped(input.kind, 'recipient_erased');
        results[i] = {
          status: 'fulfilled',
          value: { outcome: 'dropped', messageId: null, reason: 'recipient_erased' },
        };
      } else if (d.kind === 'drop') {
        dropped(input.kind, d.reason);
        results[i] = {
          status: 'fulfilled',
          value: {
            outcome: 'dropped',
            messageId: dropRows.get(input.idempotencyKey) ?? null,
            reason: d.reason,
          },
        };
      } else if (d.kind === 'defer') {
        metrics.smsDeferred.inc({ kind: labelValue(input.kind), reason: labelValue(d.reason) });
        results[i] = {
          status: 'fulfilled',
          value: { outcome: 'deferred', untilMs: d.untilMs, reason: d.reason },
        };
      } else {
        const row = claimed.get(input.idempotencyKey);
        if (row) burst.push({ i, row });
        else
          // Someone else claimed it between our read and the claim: settle from its state (as sendSms does).
          late.push(
            settle(i, async () => {
              const [other] = await db
                .select()
                .from(messages)
                .where(eq(messages.idempotencyKey, input.idempotencyKey));
              const done = other && (await settledOutcome(other));
              if (done) return done;
              throw ApplicationFailure.retryable('outbox row busy', 'OutboxBusy');
            }),
          );
      }
    }
    await Promise.all([...late, sendBurst(burst, results)]);
    return results.map(
      (r, i) =>
        r ?? {
          status: 'rejected',
          reason: new Error(`no outcome for wave item ${i}`),
        },
    );
  }

  /**
   * Claimed texts to the provider at the sender's rate: their slots reserved in one statement (consecutive, each
   * `segments ÷ MPS` long, ending at its send time), each send no closer than its own segments ÷ MPS after the
   * previous one actually left (a late wake-up never makes a burst), the answers recorded in one statement
   * (forward only), and the sender's release instant moved once.
   */
  async function sendBurst(
    burst: { i: number; row: Message }[],
    results: (PromiseSettledResult<SendSmsResult> | undefined)[],
  ) {
    if (!burst.length) return;
    const paced = Boolean(deps.smsPerSecond) && sms.name !== 'sandbox';
    const secondsOf = (row: Message) =>
      paced ? (row.segments / deps.smsPerSecond!) * pacingMargin(deps.smsPerSecond!) : 0;
    const total = burst.reduce((n, b) => n + secondsOf(b.row), 0);
    let startMs = Date.now();
    if (paced) {
      const [slot] = await db.execute<{ slot_ms: number; db_now_ms: number; last_ms: number | null }>(sql`
        insert into sms_pacing (sender, next_slot_at) values (${sms.sender}, clock_timestamp() + make_interval(secs => ${total}))
        on conflict (sender) do update
          set next_slot_at = greatest(sms_pacing.next_slot_at, clock_timestamp()) + make_interval(secs => ${total})
        returning extract(epoch from next_slot_at) * 1000 as slot_ms,
                  extract(epoch from clock_timestamp()) * 1000 as db_now_ms,
                  extract(epoch from last_sent_at) * 1000 as last_ms`);
      if (slot) {
        const skew = Date.now() - Number(slot.db_now_ms);
        startMs = Number(slot.slot_ms) - total * 1000 + skew;
        // Never closer to the sender's last release (a text sent one at a time) than the first text's own slot.
        if (slot.last_ms !== null) startMs = Math.max(startMs, Number(slot.last_ms) + skew);
      }
    }
    const sent: { id: number; sid: string; status: string; from: string | null }[] = [];
    let plannedMs = startMs;
    let lastLeftMs = -Infinity;
    const calls: Promise<void>[] = [];
    for (const { i, row } of burst) {
      const seconds = secondsOf(row) * 1000;
      plannedMs += seconds;
      const at = Math.max(plannedMs, lastLeftMs + seconds);
      const waitMs = at - Date.now();
      if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
      lastLeftMs = Date.now();
      if (paced) metrics.pacingLag.observe(Math.max(0, lastLeftMs - plannedMs) / 1000);
      calls.push(
        (async () => {
          try {
            const res = await sms.send(outbound(row));
            metrics.smsSent.inc({ kind: labelValue(row.kind), purpose: labelValue(row.purpose) });
            sent.push({ id: row.id, sid: res.sid, status: res.status, from: res.from });
            results[i] = {
              status: 'fulfilled',
              value: { outcome: 'sent', messageId: row.id, providerSid: res.sid },
            };
          } catch (err) {
            try {
              await providerFailure(row, err);
            } catch (classified) {
              results[i] = { status: 'rejected', reason: classified };
            }
          }
        })(),
      );
    }
    await Promise.all(calls);
    await markSentMany(sent);
    if (paced)
      await db.execute(sql`
        update sms_pacing set last_sent_at = greatest(coalesce(last_sent_at, clock_timestamp()), clock_timestamp())
        where sender = ${sms.sender}`);
  }

  /** `markSent` for many rows in one statement (each row's status only moves forward). */
  async function markSentMany(sent: { id: number; sid: string; status: string; from: string | null }[]) {
    if (!sent.length) return;
    const json = JSON.stringify(sent.map((s) => ({ id: s.id, sid: s.sid, status: s.status, from: s.from })));
    await db.execute(sql`
      update messages m
         set provider_sid = u.sid, from_phone = u."from", updated_at = now(),
             status = case when ${statusRankSql(sql`u.status`)} > ${statusRankSql(sql`m.status`)} then u.status else m.status end
        from jsonb_to_recordset(${json}::jsonb) as u(id bigint, sid text, status text, "from" text)
       where m.id = u.id`);
  }

  return { sendSms, sendSmsBatch, sendSmsWave, reserveLaneWave };
}
