import { createRoute, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import twilio from 'twilio';
import { applyCampaignDeliveryFailure, campaignMessageOf } from '../../db/campaigns.js';
import { sanitizeText } from '../../db/inbound.js';
import { applyStatusReport } from '../../db/status.js';
import type { AppDeps } from '../deps.js';
import { ingestInbound, routeInbound } from '../inbound.js';
import { createRouter, problems } from '../openapi.js';
import { problem } from '../problem.js';
import { deliveryRetrySignal, type GuestCampaignInput } from '../../workflows/guest-campaign/definitions.js';
import { CAMPAIGN_ID_SA } from '../../workflows/guest-campaign/search-attributes.js';
import { guestCampaignWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { GUEST_CAMPAIGN_WORKFLOW_TYPE } from './campaigns.js';

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
const FORM = 'application/x-www-form-urlencoded';

const InboundForm = z
  .object({
    MessageSid: z.string().min(1).max(64),
    From: z.string().min(1).max(64),
    To: z.string().min(1).max(64),
    // Twilio's body limit is 1,600 characters; anything longer is not from Twilio. Empty for a media-only MMS.
    Body: z.string().max(10_000).default(''),
    /** Media items of an MMS; a value that is not a count is read as none (never a 500). */
    NumMedia: z.coerce.number().int().min(0).max(100).catch(0).default(0).openapi({
      type: 'string',
      description: 'media items (0–100); a value that is not a count reads as 0',
    }),
    /** Advanced Opt-Out: STOP | START | HELP when the Messaging Service recognised a keyword (any language). */
    OptOutType: z.string().max(16).optional(),
  })
  .openapi('TwilioInboundSms', {
    description: "Twilio's incoming-message webhook (other fields are ignored)",
  });

const StatusForm = z
  .object({
    MessageSid: z.string().min(1).max(64),
    MessageStatus: z.string().min(1).max(32),
    ErrorCode: z.coerce.number().int().min(0).max(1_000_000).optional().openapi({ type: 'integer' }),
  })
  .openapi('TwilioStatusCallback', { description: "Twilio's status callback (other fields are ignored)" });

const tags = ['Twilio webhooks'];
/** Twilio signs its requests instead of sending an API key (checked when Twilio is configured). */
const security: Array<Record<string, string[]>> = [];

/**
 * Twilio webhooks. With Twilio configured, every request must carry a valid X-Twilio-Signature computed over the
 * configured public URL (never the Host or X-Forwarded-* headers, which a client controls): invalid → 403 and
 * nothing else runs (the check is route middleware, so it runs before validation). Without Twilio (sandbox),
 * requests are accepted unsigned for local development.
 */
export function webhooksRouter({ db, temporal, config, logger, metrics }: AppDeps) {
  // loadConfig always sets it (default twilio with Twilio configured); an app built by hand without it keeps
  // Crewline-managed keywords.
  const optOutManagedBy = config.optOutManagedBy ?? 'crewline';

  const verifySignature: MiddlewareHandler = async (c, next) => {
    if (!config.twilio) return next();
    let raw: Record<string, unknown> = {};
    try {
      raw = await c.req.parseBody({ all: false });
    } catch {
      // A body that is not a form cannot carry a valid signature over form parameters.
    }
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') params[k] = v;
    const url = new URL(c.req.url);
    const publicUrl = `${config.publicBaseUrl}${url.pathname}${url.search}`;
    const signature = c.req.header('x-twilio-signature');
    if (!signature || !twilio.validateRequest(config.twilio.authToken, signature, publicUrl, params)) {
      logger.warn({ path: url.pathname, hasSignature: Boolean(signature) }, 'twilio signature rejected');
      return problem(c, { title: 'Forbidden', status: 403, detail: 'Invalid Twilio signature.' });
    }
    return next();
  };

  const smsRoute = createRoute({
    method: 'post',
    path: '/sms',
    tags,
    security,
    summary: 'Incoming SMS/MMS (Twilio messaging webhook): stored, deduplicated on MessageSid, then routed',
    middleware: [verifySignature] as const,
    request: { body: { required: true, content: { [FORM]: { schema: InboundForm } } } },
    responses: {
      200: {
        description: 'Empty TwiML: any answer is sent by the workflows, not in the webhook response',
        content: { 'text/xml': { schema: z.string() } },
      },
      ...problems(403, 413, 415),
    },
  });

  const statusRoute = createRoute({
    method: 'post',
    path: '/status',
    tags,
    security,
    summary: 'Delivery status callback (Twilio): moves the outbox row forward, keeps every report',
    middleware: [verifySignature] as const,
    request: {
      query: z.object({
        outboxId: z
          .string()
          .max(32)
          .optional()
          .openapi({ description: 'our outbox row id (set on every send)' }),
      }),
      body: { required: true, content: { [FORM]: { schema: StatusForm } } },
    },
    responses: {
      204: { description: 'Recorded (also for a report about a message we do not know)' },
      ...problems(403, 413, 415),
    },
  });

  const router = createRouter()
    .openapi(smsRoute, async (c) => {
      const f = c.req.valid('form');
      const { row, duplicate, throttled } = await ingestInbound(
        db,
        {
          messageSid: f.MessageSid,
          from: f.From,
          to: f.To,
          body: f.Body,
          numMedia: f.NumMedia,
          optOutType: f.OptOutType ?? null,
        },
        { perPhonePerMinute: config.inboundPerPhonePerMinute },
      );
      // Over the per-phone limit: stored (unrouted), not acted on.
      const outcome = throttled
        ? 'throttled'
        : await routeInbound(
            { db, temporal, brand: config.brand, optOutManagedBy, metrics: metrics?.inbound, via: 'webhook' },
            row,
          );
      logger.info(
        { inboundId: row.id, kind: row.kind, numMedia: row.numMedia, duplicate, outcome },
        'inbound sms',
      );
      return c.body(EMPTY_TWIML, 200, { 'content-type': 'text/xml' });
    })
    .openapi(statusRoute, async (c) => {
      const f = c.req.valid('form');
      const outboxParam = c.req.valid('query').outboxId;
      // Our own outbox ids fit in 15 digits; anything else is not ours (and must not reach a bigint column).
      const outboxId = outboxParam && /^\d{1,15}$/.test(outboxParam) ? Number(outboxParam) : null;
      const outcome = await applyStatusReport(db, {
        outboxId,
        sid: sanitizeText(f.MessageSid),
        status: sanitizeText(f.MessageStatus).toLowerCase(),
        errorCode: f.ErrorCode ?? null,
      });
      logger.info({ outboxId, status: f.MessageStatus, errorCode: f.ErrorCode, outcome }, 'status callback');
      if (outcome !== 'unknown_message' && ['undelivered', 'failed'].includes(f.MessageStatus.toLowerCase()))
        await campaignDeliveryFailure(outboxId, sanitizeText(f.MessageSid));
      // 204 for every well-formed report, known or not: a non-2xx would only make Twilio retry.
      return c.body(null, 204);
    });

  /**
   * Guest campaigns: a delivery failure marks the guest (`undelivered:<code>`) or, with a second sender, puts the
   * guest back for it (committed first) and signals the campaign's workflow — starting a `deliveryRetry` run if
   * the campaign's last run has ended. A report repeated (or a signal lost) re-applies the same decision.
   */
  async function campaignDeliveryFailure(outboxId: number | null, sid: string) {
    const messageId = await campaignMessageOf(db, { sid, outboxId });
    if (messageId === null) return;
    const applied = await applyCampaignDeliveryFailure(db, messageId, {
      secondaryConfigured: Boolean(config.twilio?.secondaryFrom),
    });
    if (!applied) return;
    logger.info({ campaignId: applied.campaignId, action: applied.action }, 'campaign delivery failure');
    if (applied.action !== 'retry') return;
    const args: [GuestCampaignInput] = [{ campaignId: applied.campaignId, deliveryRetry: true }];
    await temporal.workflow.signalWithStart(GUEST_CAMPAIGN_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: guestCampaignWorkflowId(applied.campaignId),
      args,
      signal: deliveryRetrySignal,
      signalArgs: [],
      typedSearchAttributes: [{ key: CAMPAIGN_ID_SA, value: applied.campaignId }],
      staticSummary: `Guest campaign ${applied.campaignId}: second sender`,
    });
  }
  return router;
}
