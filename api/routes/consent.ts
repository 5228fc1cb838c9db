import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { consentHistory, consentState, recordConsent } from '../../db/consent.js';
import type { AppDeps } from '../deps.js';
import { notifyConsentChange } from '../inbound.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { e164, text } from '../schemas/atoms.js';

const RecordConsent = z
  .object({
    phone: e164,
    purpose: z.enum(['transactional', 'marketing', 'all']),
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

const ConsentStateJson = z
  .object({
    phone: z.string(),
    suppressed: z.array(z.string()),
    transactional: z.boolean(),
    marketing: z.boolean(),
    optedOut: z.boolean(),
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
      const { changed, event } = await recordConsent(db, {
        phone: b.phone,
        purpose: b.purpose,
        action: b.action,
        source: b.source,
        evidence: { apiClient, ...(b.evidence ? { note: b.evidence } : {}) },
        dedupeKey: b.requestId ? `api:${apiClient}:${b.requestId}` : undefined,
      });
      if (changed && b.purpose !== 'marketing') {
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
