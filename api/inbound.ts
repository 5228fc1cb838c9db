/**
 * The inbound half of the messaging core. Persist first (deduplicated on MessageSid, characters Postgres cannot
 * carry stripped), apply compliance keywords to the consent ledger at once (Postgres only, so it holds even when
 * Temporal is down; once per keyword, idempotent on the inbound id), then route:
 *
 * - a keyword (STOP/START/HELP family, or Twilio's `OptOutType`, which overrides our own classifier) starts the
 *   `inbound-<id>` keyword workflow, which tells EVERY workflow holding the phone (db/inbound.ts
 *   `conversationHolders`) and sends Crewline's one confirmation unless Twilio answered it itself;
 * - `JOIN <code>` / `LEAVE [<code>]` from a member's phone, or `JOIN <code>` from any phone, starts the
 *   `inbound-<id>` crew command workflow;
 * - any other text goes to the newest open conversation expectation for the phone (a workflow that sent a text
 *   with `expectReply`), else to the member's workflow, else it is kept as `unrouted` (GET /inbox).
 *
 * A text is routed at most once: the route is claimed atomically in Postgres before any signal. What cannot be
 * routed now (Temporal down) goes back to `pending`; the inbox drainer (api/inbox-drainer.ts) delivers it later,
 * and a newer text from the same phone waits behind an older undelivered one.
 */
import { subjectOf } from '../workflows/lib/subject.js';
import { createHash } from 'node:crypto';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { recordCampaignReply } from '../db/campaigns.js';
import type { Db } from '../db/client.js';
import { recordConsent, consentState } from '../db/consent.js';
import {
  claimNextOfPhone,
  claimRouting,
  conversationHolders,
  finishRouting,
  hasOlderInFlight,
  insertInbound,
  newestOpenExpectation,
  releaseRouting,
  sanitizeText,
  undeliveredInbound,
} from '../db/inbound.js';
import { applyConsentToMember, findMemberByPhone } from '../db/members.js';
import { hitRateLimit } from '../db/rate-limits.js';
import { consentEvents, type InboundMessage } from '../db/schema.js';
import type { OptOutManagedBy } from '../activities/sms/provider.js';
import { routeAdd } from './crew-add.js';
import type { InboundMetrics, InboundVia } from './metrics.js';
import { inboundWorkflowId, memberWorkflowId, TASK_QUEUE } from '../workflows/ids.js';
import { keywordWorkflow } from '../workflows/messaging/keyword.js';
import {
  campaignOfAccepts,
  campaignReplyAccepts,
  classifyRsvp,
} from '../workflows/guest-campaign/replies.js';
import { consentSignal, replySignal, type InboundReply } from '../workflows/lib/conversation.js';
import { crewCommandWorkflow } from '../workflows/crew/workflow.js';
import { classifyInbound, parseCrewCommand, type InboundKind } from '../workflows/lib/keywords.js';
import { isRevocation, REVOCATION_KEYWORD } from '../workflows/lib/revocation.js';
import type { Brand } from '../workflows/lib/texts.js';

export interface InboundSms {
  messageSid: string;
  from: string;
  to: string;
  body: string;
  /** Twilio's NumMedia (MMS). */
  numMedia?: number;
  /** Twilio's OptOutType (STOP | START | HELP), sent for numbers with Advanced Opt-Out. */
  optOutType?: string | null;
}

export interface InboundDeps {
  db: Db;
  temporal: Client;
  brand: Brand;
  /** Who answers keywords (SMS_OPT_OUT_MANAGED_BY); default crewline. */
  optOutManagedBy?: OptOutManagedBy;
  /** Routed texts and their webhook-to-workflow latency (api/metrics.ts); nothing recorded when absent. */
  metrics?: InboundMetrics | undefined;
  /** Who is routing: the webhook as the text arrives, or the inbox drainer later (a metrics label). */
  via?: InboundVia;
}

/**
 * routed / unrouted: decided now; pending: could not be delivered (Temporal unreachable), left for the drainer;
 * waiting: an older text of the same number is still in flight, this one follows it (hand-off or drainer);
 * claimed_elsewhere: another caller (a duplicate webhook, the drainer) has it.
 */
export type RouteOutcome = 'routed' | 'unrouted' | 'pending' | 'waiting' | 'claimed_elsewhere';

const SIGNAL_DEADLINE_MS = 3_000;

const OPT_OUT_TYPES: Record<string, Exclude<InboundKind, 'message'>> = {
  STOP: 'opt_out',
  START: 'opt_in',
  HELP: 'help',
};

/**
 * Whether Twilio answered this keyword itself (twilio-managed mode): it does for an `OptOutType` (Advanced
 * Opt-Out, any configured language) and, on a plain number, for a message that is exactly one of its default
 * keywords (single word, any case). A text our own classifier reads as a keyword but Twilio does not ("opt-out",
 * "STOP ALL", "Stop.") gets Crewline's confirmation, so the person is never left without one.
 */
export function twilioAnswersItself(body: string, optOutType: string | null | undefined): boolean {
  if (optOutType && OPT_OUT_TYPES[optOutType.toUpperCase()]) return true;
  return /^\s*(STOP|STOPALL|UNSUBSCRIBE|CANCEL|END|QUIT|REVOKE|OPTOUT|START|YES|UNSTOP|HELP|INFO)\s*$/i.test(
    body,
  );
}

/**
 * Stores the text (see above). Beyond `perPhonePerMinute` new texts from one phone in a minute (counted in
 * Postgres, once per MessageSid), the text is kept but not acted on: it is marked `unrouted` at once, so no
 * workflow is signalled and nothing answers it (a phone flooding us cannot make us text back). A STOP/START
 * over the limit still changes consent (above): the law wins over the flood.
 */
export async function ingestInbound(
  db: Db,
  sms: InboundSms,
  limits: { perPhonePerMinute?: number } = {},
): Promise<{ row: InboundMessage; duplicate: boolean; throttled?: boolean }> {
  const body = sanitizeText(sms.body);
  const from = sanitizeText(sms.from);
  const optOutType = sms.optOutType ? sanitizeText(sms.optOutType).toUpperCase() : null;
  const member = await findMemberByPhone(db, from);
  // An exact keyword first; else revocation in plain words ("please stop texting me", "no más mensajes").
  const classified = classifyInbound(body);
  if (classified.kind === 'message' && isRevocation(body)) {
    classified.kind = 'opt_out';
    classified.keyword = REVOCATION_KEYWORD;
  }
  let kind: InboundKind = classified.kind;
  let keyword = classified.keyword ?? null;
  const fromTwilio = optOutType ? OPT_OUT_TYPES[optOutType] : undefined;
  if (fromTwilio) {
    // Twilio's Advanced Opt-Out recognised it (e.g. "ARRET"): its verdict wins over our English classifier.
    kind = fromTwilio;
    keyword ??= optOutType;
  } else if (kind === 'opt_in' && keyword === 'YES' && !(await consentState(db, from)).optedOut) {
    // YES is an opt-in keyword only for a number that is opted out; otherwise it belongs to the conversation
    // ("Reply YES to start"). START and UNSTOP always opt in.
    kind = 'message';
    keyword = null;
  }
  const { row, duplicate } = await insertInbound(db, {
    providerSid: sanitizeText(sms.messageSid),
    fromPhone: from,
    toPhone: sanitizeText(sms.to),
    body,
    numMedia: Math.max(0, Math.min(sms.numMedia ?? 0, 100)),
    optOutType,
    memberId: member?.id ?? null,
    kind,
    keyword,
    traceparent: activeTraceparent(),
  });
  if (row.kind === 'opt_out' || row.kind === 'opt_in') await applyKeywordConsent(db, row);
  // Unset: no limit (an app built by hand, tests); the config loader sets INBOUND_PER_PHONE_PER_MINUTE (10).
  const perMinute = limits.perPhonePerMinute ?? Infinity;
  if (!duplicate && Number.isFinite(perMinute)) {
    const bucket = createHash('sha256').update(row.fromPhone).digest('hex').slice(0, 32);
    const hit = await hitRateLimit(db, `inbound-phone:${bucket}`, perMinute, 60);
    if (!hit.allowed) {
      await finishRouting(db, row.id, 'unrouted', null);
      return { row: { ...row, routeStatus: 'unrouted' }, duplicate, throttled: true };
    }
  }
  return { row, duplicate };
}

/**
 * Ledger + suppression + member status: the one place a keyword changes consent. Idempotent on the inbound id
 * (a redelivered webhook records nothing new and gets the first answer back).
 */
async function applyKeywordConsent(db: Db, row: InboundMessage): Promise<void> {
  const optOut = row.kind === 'opt_out';
  await recordConsent(db, {
    phone: row.fromPhone,
    purpose: 'all',
    action: optOut ? 'opt_out' : 'opt_in',
    source: 'sms_keyword',
    evidence: {
      inboundMessageId: row.id,
      providerSid: row.providerSid,
      keyword: row.keyword,
      ...(row.optOutType && { optOutType: row.optOutType }),
    },
    dedupeKey: `inbound:${row.id}`,
  });
  await applyConsentToMember(db, row.fromPhone, optOut);
}

/** Whether this keyword changed the number's consent (read back, never applied a second time). */
async function keywordChangedConsent(db: Db, row: InboundMessage): Promise<boolean> {
  const [event] = await db
    .select({ changed: consentEvents.changed })
    .from(consentEvents)
    .where(eq(consentEvents.dedupeKey, `inbound:${row.id}`));
  return event?.changed ?? false;
}

const bounded = <T>(temporal: Client, fn: () => Promise<T>) =>
  // Bounded: the webhook must answer Twilio quickly even when Temporal is down.
  temporal.connection.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, fn);

/** The active span's W3C traceparent (a webhook's server span when tracing is on), or null. */
function activeTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

export async function routeInbound(deps: InboundDeps, row: InboundMessage): Promise<RouteOutcome> {
  const outcome = await routeOnce(deps, row);
  // Counted where this call decided (a text already routed, or claimed by another caller, is not counted again).
  if (outcome !== 'claimed_elsewhere' && row.routeStatus !== 'routed' && row.routeStatus !== 'unrouted')
    deps.metrics?.routed(
      deps.via ?? 'webhook',
      row.kind,
      outcome === 'waiting' ? 'pending' : outcome,
      row.receivedAt,
    );
  return outcome;
}

async function routeOnce(deps: InboundDeps, row: InboundMessage): Promise<RouteOutcome> {
  const { db } = deps;
  if (row.routeStatus === 'routed' || row.routeStatus === 'unrouted') return row.routeStatus;
  // One statement: claimed only if no older text of the same number is still in flight (per-phone order).
  const claimed = await claimRouting(db, row);
  if (!claimed)
    // Waiting behind an older text of its number (delivered by that text's hand-off, or the drainer), or a
    // concurrent duplicate (or the drainer) routes it.
    return (await hasOlderInFlight(db, row)) ? 'waiting' : 'claimed_elsewhere';
  const outcome = await deliverClaimed(deps, claimed);
  if (outcome === 'routed' || outcome === 'unrouted') handOffLater(deps, claimed.fromPhone);
  return outcome;
}

/** Route a text this caller has claimed; the trace is the stored webhook's when delivered later. */
async function deliverClaimed(
  deps: InboundDeps,
  claimed: InboundMessage,
): Promise<'routed' | 'unrouted' | 'pending'> {
  const later = deps.via !== undefined && deps.via !== 'webhook' && claimed.traceparent;
  return later
    ? context.with(propagation.extract(ROOT_CONTEXT, { traceparent: claimed.traceparent }), () =>
        deliver(deps, claimed),
      )
    : deliver(deps, claimed);
}

async function deliver(
  deps: InboundDeps,
  claimed: InboundMessage,
): Promise<'routed' | 'unrouted' | 'pending'> {
  const { db } = deps;
  try {
    const target =
      claimed.kind === 'message' ? await routeMessage(deps, claimed) : await routeKeyword(deps, claimed);
    await finishRouting(db, claimed.id, target ? 'routed' : 'unrouted', target);
    return target ? 'routed' : 'unrouted';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      await finishRouting(db, claimed.id, 'routed', inboundWorkflowId(claimed.id));
      return 'routed';
    }
    await releaseRouting(db, claimed.id);
    return 'pending';
  }
}

/**
 * After a text is delivered, deliver the texts of the same number that arrived while it was in flight (they
 * were stored `pending` behind it), oldest first, one at a time — in the background, so the webhook that
 * delivered the first one answers Twilio at once. Each is claimed atomically (never twice, never ahead of an
 * older one); whatever is left (Temporal down, process gone) is the inbox drainer's.
 */
function handOffLater(deps: InboundDeps, phone: string): void {
  void (async () => {
    const handoff: InboundDeps = { ...deps, via: 'handoff' };
    for (;;) {
      const next = await claimNextOfPhone(deps.db, phone);
      if (!next) return;
      const outcome = await deliverClaimed(handoff, next);
      deps.metrics?.routed('handoff', next.kind, outcome, next.receivedAt);
      if (outcome === 'pending') return;
    }
  })().catch(() => {
    // Best effort: the drainer delivers what is left (a claim that was taken lapses after its lease).
  });
}

/** The workflow that got the text, or null (kept as unrouted). */
async function routeMessage(deps: InboundDeps, row: InboundMessage): Promise<string | null> {
  // A media-only MMS has no words for a conversation to read: kept (with its media count) for operators, and
  // never answered "I did not get that".
  if (row.body.trim() === '' && row.numMedia > 0) return null;
  const added = await routeAdd(deps, row, (fn) => bounded(deps.temporal, fn));
  if (added !== undefined) return added;
  // `JOIN <code>` / `LEAVE [<code>]` from a member's phone: its own conversation (workflows/crew/workflow.ts);
  // `JOIN <code>` from any other phone too: it becomes a member with the same YES (workflows/crew/newcomer.ts).
  const crewCommand = parseCrewCommand(row.body);
  if (crewCommand && (row.memberId || crewCommand.command === 'join'))
    return startCrewCommand(deps, row, row.memberId, crewCommand);
  const expectation = await newestOpenExpectation(deps.db, row.fromPhone, row.receivedAt);
  const campaignId = expectation ? campaignOfAccepts(expectation.accepts) : null;
  if (expectation && campaignId) {
    const routed = await routeCampaignReply(deps, row, campaignId, expectation.workflowId);
    if (routed) return routed;
  }
  const candidates: { workflowId: string; accepts?: string }[] = [];
  if (expectation) candidates.push({ workflowId: expectation.workflowId, accepts: expectation.accepts });
  if (row.memberId && expectation?.workflowId !== memberWorkflowId(row.memberId))
    candidates.push({ workflowId: memberWorkflowId(row.memberId) });
  for (const c of candidates) {
    const reply: InboundReply = {
      inboundId: row.id,
      body: row.body,
      receivedAtMs: row.receivedAt.getTime(),
      ...(c.accepts !== undefined && { accepts: c.accepts }),
      ...(row.memberId && { memberId: row.memberId }),
      ...(row.numMedia > 0 && { numMedia: row.numMedia }),
      // The reply text is the sender's personal data: sealed with their key in the history (README "Privacy").
      subject: row.memberId ? subjectOf('member', row.memberId) : subjectOf('inbound', row.id),
    };
    try {
      await bounded(deps.temporal, () =>
        deps.temporal.workflow.getHandle(c.workflowId).signal(replySignal, reply),
      );
      return c.workflowId;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) continue; // that conversation has ended: next candidate
      throw err;
    }
  }
  return null;
}

async function startCrewCommand(
  deps: InboundDeps,
  row: InboundMessage,
  memberId: string | null,
  command: NonNullable<ReturnType<typeof parseCrewCommand>>,
): Promise<string> {
  const workflowId = inboundWorkflowId(row.id);
  await bounded(deps.temporal, () =>
    deps.temporal.workflow.start(crewCommandWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [{ inboundId: row.id, memberId, command }],
      staticSummary: `Crew ${command.command.toUpperCase()} by SMS (inbound ${row.id})`,
    }),
  );
  return workflowId;
}

/**
 * A reply to a guest campaign's text: stored per guest (an RSVP yes/no, or free text) in Postgres first, so it
 * counts even after the campaign's workflow has ended, then signalled to the workflow if it is still running.
 */
async function routeCampaignReply(
  deps: InboundDeps,
  row: InboundMessage,
  campaignId: string,
  workflowId: string,
): Promise<string | null> {
  const guestId = await recordCampaignReply(deps.db, {
    campaignId,
    phone: row.fromPhone,
    inboundId: row.id,
    answer: classifyRsvp(row.body),
    receivedAt: row.receivedAt,
  });
  if (!guestId) return null;
  const reply: InboundReply = {
    inboundId: row.id,
    body: row.body,
    receivedAtMs: row.receivedAt.getTime(),
    accepts: campaignReplyAccepts(campaignId),
    subject: subjectOf('guest', guestId),
  };
  try {
    await bounded(deps.temporal, () =>
      deps.temporal.workflow.getHandle(workflowId).signal(replySignal, reply),
    );
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err; // the campaign has ended: the reply is stored
  }
  return workflowId;
}

async function routeKeyword(deps: InboundDeps, row: InboundMessage): Promise<string> {
  const { db, temporal } = deps;
  const kind = row.kind as 'opt_out' | 'opt_in' | 'help';
  const twilioManaged = (deps.optOutManagedBy ?? 'crewline') === 'twilio';
  const reply =
    twilioManaged && twilioAnswersItself(row.body, row.optOutType)
      ? false // Twilio blocked/unblocked the number and answered: a second confirmation would double it
      : kind === 'help'
        ? true
        : await keywordChangedConsent(db, row);
  const workflowIds = kind === 'help' ? [] : await conversationHolders(db, row.fromPhone, row.receivedAt);
  const workflowId = inboundWorkflowId(row.id);
  await bounded(temporal, () =>
    temporal.workflow.start(keywordWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [{ inboundId: row.id, kind, workflowIds, reply, brand: deps.brand }],
      staticSummary: `Keyword ${row.keyword ?? row.kind} (inbound ${row.id})`,
    }),
  );
  return workflowId;
}

/**
 * Deliver messages that could not be routed when they arrived (Temporal was down, a claim lapsed, a hand-off was
 * lost), oldest first. A text waiting behind an older one of its number is skipped (it follows that one); the
 * pass stops at the first text that cannot be delivered (Temporal still unreachable: next tick, same order).
 */
export async function drainInbox(deps: InboundDeps, opts: { olderThanMs?: number; limit?: number } = {}) {
  const cutoff = new Date(Date.now() - (opts.olderThanMs ?? 2_000));
  const pending = await undeliveredInbound(deps.db, cutoff, opts.limit ?? 100);
  let routed = 0;
  for (const row of pending) {
    const outcome = await routeInbound({ ...deps, via: 'drainer' }, row);
    if (outcome === 'routed') routed++;
    if (outcome === 'pending') break;
  }
  return { seen: pending.length, routed };
}

/**
 * Consent changed outside SMS (API, import): update the member row and tell every workflow holding the phone.
 * Best effort — the send gate reads consent from Postgres, so a missed signal can never let a text through.
 */
export async function notifyConsentChange(
  deps: { db: Db; temporal: Client; logger: { warn: (o: object, m: string) => void } },
  phone: string,
  optedOut: boolean,
): Promise<void> {
  await applyConsentToMember(deps.db, phone, optedOut);
  const holders = await conversationHolders(deps.db, phone, new Date());
  for (const workflowId of holders) {
    try {
      await bounded(deps.temporal, () =>
        deps.temporal.workflow.getHandle(workflowId).signal(consentSignal, { optedOut }),
      );
    } catch (err) {
      deps.logger.warn({ workflowId, err: (err as Error).name }, 'consent signal not delivered');
    }
  }
}
