import { Hono, type Context } from 'hono';
import twilio from 'twilio';
import { z } from 'zod';
import { sanitizeText } from '../../db/inbound.js';
import { applyStatusReport } from '../../db/status.js';
import type { AppDeps } from '../app.js';
import { ingestInbound, routeInbound } from '../inbound.js';
import { problem } from '../problem.js';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

const inboundForm = z.object({
  MessageSid: z.string().min(1).max(64),
  From: z.string().min(1).max(64),
  To: z.string().min(1).max(64),
  // Twilio's body limit is 1,600 characters; anything longer is not from Twilio. Empty for a media-only MMS.
  Body: z.string().max(10_000).default(''),
  /** Media items of an MMS; a value that is not a count is read as none (never a 500). */
  NumMedia: z.coerce.number().int().min(0).max(100).catch(0).default(0),
  /** Advanced Opt-Out: STOP | START | HELP when the Messaging Service recognised a keyword (any language). */
  OptOutType: z.string().max(16).optional(),
});

const statusForm = z.object({
  MessageSid: z.string().min(1).max(64),
  MessageStatus: z.string().min(1).max(32),
  ErrorCode: z.coerce.number().int().min(0).max(1_000_000).optional(),
});

function formProblem(c: Context, error: z.ZodError) {
  const errors = error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message }));
  return problem(c, {
    title: 'Invalid request',
    status: 400,
    detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    errors,
  });
}

/**
 * Twilio webhooks. With Twilio configured, every request must carry a valid X-Twilio-Signature computed over the
 * configured public URL (never the Host or X-Forwarded-* headers, which a client controls): invalid → 403 and
 * nothing else runs. Without Twilio (sandbox), requests are accepted unsigned for local development.
 */
export function webhooksRouter({ db, temporal, config, logger }: AppDeps) {
  // loadConfig always sets it (default twilio with Twilio configured); an app built by hand without it keeps
  // Crewline-managed keywords.
  const optOutManagedBy = config.optOutManagedBy ?? 'crewline';
  async function verifiedForm(c: Context): Promise<Record<string, string> | Response> {
    let raw: Record<string, unknown>;
    try {
      raw = await c.req.parseBody({ all: false });
    } catch {
      return problem(c, { title: 'Invalid request', status: 400, detail: 'The body is not a form.' });
    }
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') params[k] = v;
    if (config.twilio) {
      const url = new URL(c.req.url);
      const publicUrl = `${config.publicBaseUrl}${url.pathname}${url.search}`;
      const signature = c.req.header('x-twilio-signature');
      if (!signature || !twilio.validateRequest(config.twilio.authToken, signature, publicUrl, params)) {
        logger.warn({ path: url.pathname, hasSignature: Boolean(signature) }, 'twilio signature rejected');
        return problem(c, { title: 'Forbidden', status: 403, detail: 'Invalid Twilio signature.' });
      }
    }
    return params;
  }

  return new Hono()
    .post('/sms', async (c) => {
      const params = await verifiedForm(c);
      if (params instanceof Response) return params;
      const parsed = inboundForm.safeParse(params);
      if (!parsed.success) return formProblem(c, parsed.error);
      const f = parsed.data;
      const { row, duplicate } = await ingestInbound(db, {
        messageSid: f.MessageSid,
        from: f.From,
        to: f.To,
        body: f.Body,
        numMedia: f.NumMedia,
        optOutType: f.OptOutType ?? null,
      });
      const outcome = await routeInbound({ db, temporal, brand: config.brand, optOutManagedBy }, row);
      logger.info(
        { inboundId: row.id, kind: row.kind, numMedia: row.numMedia, duplicate, outcome },
        'inbound sms',
      );
      return c.body(EMPTY_TWIML, 200, { 'content-type': 'text/xml' });
    })
    .post('/status', async (c) => {
      const params = await verifiedForm(c);
      if (params instanceof Response) return params;
      const parsed = statusForm.safeParse(params);
      if (!parsed.success) return formProblem(c, parsed.error);
      const outboxParam = c.req.query('outboxId');
      // Our own outbox ids fit in 15 digits; anything else is not ours (and must not reach a bigint column).
      const outboxId = outboxParam && /^\d{1,15}$/.test(outboxParam) ? Number(outboxParam) : null;
      const outcome = await applyStatusReport(db, {
        outboxId,
        sid: sanitizeText(parsed.data.MessageSid),
        status: sanitizeText(parsed.data.MessageStatus).toLowerCase(),
        errorCode: parsed.data.ErrorCode ?? null,
      });
      logger.info(
        { outboxId, status: parsed.data.MessageStatus, errorCode: parsed.data.ErrorCode, outcome },
        'status callback',
      );
      // 204 for every well-formed report, known or not: a non-2xx would only make Twilio retry.
      return c.body(null, 204);
    });
}
