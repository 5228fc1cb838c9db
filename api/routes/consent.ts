import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import { consentHistory, consentState, recordConsent } from '../../db/consent.js';
import type { AppDeps } from '../app.js';
import { notifyConsentChange } from '../inbound.js';
import { validate } from '../problem.js';
import { e164 } from './members.js';

const recordBody = z.object({
  phone: e164,
  purpose: z.enum(['transactional', 'marketing', 'all']),
  action: z.enum(['opt_in', 'opt_out']),
  source: z.enum(['api', 'import']).default('api'),
  /** Where the consent was given (form URL, paper form id, import batch…). Required for an opt-in. */
  evidence: z.string().trim().min(1).max(500).optional(),
  /** Client-chosen key: retrying the same request records one event. */
  requestId: z.string().trim().min(1).max(100).optional(),
});

/** The consent ledger: record an opt-in/opt-out for a number, read its history and current state. */
export function consentRouter({ db, temporal, logger }: AppDeps) {
  return new Hono()
    .post(
      '/',
      validate(
        'json',
        recordBody.refine((b) => b.action === 'opt_out' || b.evidence, {
          path: ['evidence'],
          message: 'is required for an opt-in (where and how consent was given)',
        }),
      ),
      async (c) => {
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
      },
    )
    .get('/:phone', validate('param', z.object({ phone: e164 })), async (c) => {
      const { phone } = c.req.valid('param');
      const [state, events] = await Promise.all([consentState(db, phone), consentHistory(db, phone)]);
      return c.json({ state, events: events.map(eventJson) });
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
