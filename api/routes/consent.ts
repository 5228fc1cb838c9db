import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { ledgerPurposeOf, TEXTING_PURPOSES, type TextingPurpose } from '../../db/consent-rules.js';
import { consentHistory, consentState, recordConsent } from '../../db/consent.js';
import { members } from '../../db/schema.js';
import { memberOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { notifyConsentChange } from '../inbound.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { e164, text } from '../schemas/atoms.js';

const RecordConsent = z
  .object({
    phone: e164,
    purpose: z.enum(['transactional', 'marketing', 'all', ...TEXTING_PURPOSES]).openapi({
      description:
        '`all` (= `transactional`): STOP/START for every purpose. `checkins`, `crews`, `mentorship`, `campaigns` ' +
        '(= `marketing`): one purpose only; an opt-in of one purpose never lifts a STOP.',
    }),
    action: z.enum(['opt_in', 'opt_out']),
    source: z.enum(['api', 'import']).default('api'),
    /** Where the consent was given (form URL, paper form id, import batch…). Required for an opt-in. */
    evidence: text(500).optional(),
    /** Client-chosen key: retrying the same request records one event. */
    requestId: text(100).optional(),
  })
  .refine((b) => b.action === 'opt_out' || b.evidence, {
    path: ['evidence'],
    message: 'is required for an opt-in (where and how consent was given)',
  })
  .openapi('RecordConsent');

const ConsentEventJson = z
  .object({
    id: z.number().int(),
    purpose: z.string(),
    action: z.string(),
    source: z.string(),
    evidence: z.record(z.string(), z.unknown()),
    changed: z.boolean(),
    at: z.string(),
  })
  .openapi('ConsentEvent');

const PurposesJson = z
  .object(
    Object.fromEntries(TEXTING_PURPOSES.map((p) => [p, z.boolean()])) as Record<TextingPurpose, z.ZodBoolean>,
  )
  .openapi('ConsentPurposes', {
    description: 'Whether texts of each purpose may be sent to the number now (STOP makes every one false)',
  });

const ConsentStateJson = z
  .object({
    phone: z.string(),
    suppressed: z.array(z.string()),
    transactional: z.boolean(),
    marketing: z.boolean(),
    optedOut: z.boolean(),
    purposes: PurposesJson,
  })
  .openapi('ConsentState');

const tags = ['Consent'];

const recordRoute = createRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Record an opt-in or opt-out for a number (requestId makes retries safe)',
  request: { body: jsonBody(RecordConsent) },
  responses: {
    201: jsonResponse(
      z.object({ event: ConsentEventJson, changed: z.boolean(), state: ConsentStateJson }),
      'The recorded event and the number’s state',
    ),
    ...problems(503, ...BODY_PROBLEMS),
  },
});

const stateRoute = createRoute({
  method: 'get',
  path: '/{phone}',
  tags,
  summary: 'Current consent state of a number and its full ledger',
  request: { params: z.object({ phone: e164.openapi({ param: { name: 'phone', in: 'path' } }) }) },
  responses: {
    200: jsonResponse(
      z.object({ state: ConsentStateJson, events: z.array(ConsentEventJson) }),
      'State and ledger',
    ),
    ...problems(),
  },
});

/** The consent ledger: record an opt-in/opt-out for a number, read its history and current state. */
export function consentRouter({ db, temporal, logger }: AppDeps) {
  return createRouter()
    .openapi(recordRoute, async (c) => {
      const b = c.req.valid('json');
      const key = (c.req.header('authorization') ?? '').replace(/^Bearer\s+/i, '');
      const apiClient = createHash('sha256').update(key).digest('hex').slice(0, 12);
      const purpose = b.purpose === 'campaigns' ? ledgerPurposeOf(b.purpose) : b.purpose;
      const { changed, event } = await recordConsent(db, {
        phone: b.phone,
        purpose,
        action: b.action,
        source: b.source,
        evidence: { apiClient, ...(b.evidence ? { note: b.evidence } : {}) },
        dedupeKey: b.requestId ? `api:${apiClient}:${b.requestId}` : undefined,
      });
      // Only STOP/START (every purpose) changes what the member's workflow knows; a single purpose is the gate's.
      if (changed && (purpose === 'all' || purpose === 'transactional')) {
        await notifyConsentChange({ db, temporal, logger }, b.phone, b.action === 'opt_out');
      }
      return c.json({ event: eventJson(event), changed, state: await consentState(db, b.phone) }, 201);
    })
    .openapi(stateRoute, async (c) => {
      const { phone } = c.req.valid('param');
      const [state, events] = await Promise.all([consentState(db, phone), consentHistory(db, phone)]);
      return c.json({ state, events: events.map(eventJson) }, 200);
    });
}

function eventJson(e: Awaited<ReturnType<typeof consentHistory>>[number]) {
  return {
    id: e.id,
    purpose: e.purpose,
    action: e.action,
    source: e.source,
    evidence: e.evidence,
    changed: e.changed,
    at: e.createdAt.toISOString(),
  };
}

const MyConsentJson = z
  .object({
    purposes: PurposesJson,
    optedOut: z
      .boolean()
      .openapi({ description: 'STOP is in force: text START to resume (every purpose is off)' }),
    events: z.array(ConsentEventJson),
  })
  .openapi('MyConsent');

const ChangeMyConsent = z
  .strictObject({
    purpose: z.enum(TEXTING_PURPOSES),
    action: z.enum(['opt_in', 'opt_out']),
  })
  .openapi('ChangeMyConsent', {
    description:
      'Revoke (opt_out) or give back (opt_in) consent to texts of one purpose. An opt-in never lifts a STOP: ' +
      'that takes START by SMS.',
  });

const meTags = ['Me (member token)'];
const security = [{ memberToken: [] }];

const myConsentRoute = createRoute({
  method: 'get',
  path: '/',
  tags: meTags,
  security,
  summary: 'My consent by purpose (check-ins, crews, mentorship, campaigns) and my consent ledger',
  responses: { 200: jsonResponse(MyConsentJson, 'My consent'), ...problems(404) },
});

const changeMyConsentRoute = createRoute({
  method: 'post',
  path: '/',
  tags: meTags,
  security,
  summary: 'Revoke or give back my consent to texts of one purpose',
  request: { body: jsonBody(ChangeMyConsent) },
  responses: {
    200: jsonResponse(MyConsentJson.extend({ changed: z.boolean() }), 'My consent after the change'),
    ...problems(404, ...BODY_PROBLEMS),
  },
});

/**
 * `/me/consent`: the signed-in member reads their consent by purpose and revokes (or gives back) one purpose.
 * The change is in the ledger (source `api`, evidence: the member and their session), one event per change.
 */
export function meConsentRouter({ db }: AppDeps) {
  const phoneOf = async (memberId: string) => {
    const [m] = await db
      .select({ phone: members.phone, status: members.status })
      .from(members)
      .where(eq(members.id, memberId));
    if (!m || m.status === 'erased')
      throw new HttpProblem({ title: 'Not found', status: 404, detail: 'No such member.' });
    return m.phone;
  };
  const mine = async (phone: string) => {
    const [state, events] = await Promise.all([consentState(db, phone), consentHistory(db, phone)]);
    return { purposes: state.purposes, optedOut: state.optedOut, events: events.map(eventJson) };
  };
  return createRouter()
    .openapi(myConsentRoute, async (c) => c.json(await mine(await phoneOf(memberOf(c).memberId)), 200))
    .openapi(changeMyConsentRoute, async (c) => {
      const me = memberOf(c);
      const b = c.req.valid('json');
      const phone = await phoneOf(me.memberId);
      const { changed } = await recordConsent(db, {
        phone,
        purpose: ledgerPurposeOf(b.purpose),
        action: b.action,
        source: 'api',
        evidence: { memberId: me.memberId, sessionId: me.id, via: 'member_token' },
      });
      return c.json({ ...(await mine(phone)), changed }, 200);
    });
}
