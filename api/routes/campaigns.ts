/**
 * Guest campaigns: create (a draft: the template is checked against every guest), preview, start or schedule
 * (the `guest-campaign-<id>` workflow), pause / resume / cancel (workflow updates), progress, and who got it.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, gt, max } from 'drizzle-orm';
import {
  consentedGuestsPage,
  createCampaign,
  lastRound,
  recipientCounts,
  sendingState,
  setCampaignSchedule,
  variantCounts,
} from '../../db/campaigns.js';
import type { Db } from '../../db/client.js';
import {
  campaignRecipients,
  campaigns,
  guestLists,
  guests,
  messages,
  type Campaign,
} from '../../db/schema.js';
import {
  cancelUpdate,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  setRateUpdate,
  type CampaignProgress,
  type GuestCampaignInput,
} from '../../workflows/guest-campaign/definitions.js';
import {
  guestVariables,
  parseTemplate,
  previewFor,
  TemplateError,
  templateVariables,
} from '../../workflows/guest-campaign/template.js';
import { campaignRate, MAX_SENDER_MPS, MIN_CAMPAIGN_RATE } from '../../workflows/guest-campaign/pacing.js';
import { intersectWindows, isSameDayWindow } from '../../workflows/guest-campaign/schedule.js';
import {
  CAMPAIGN_STATUSES,
  DEFAULT_SEGMENT_BUDGET,
  MAX_SEGMENT_BUDGET,
  RECIPIENT_STATES,
} from '../../workflows/guest-campaign/values.js';
import { CAMPAIGN_ID_SA } from '../../workflows/guest-campaign/search-attributes.js';
import { CAMPAIGN_SENDERS } from '../../workflows/guest-campaign/delivery.js';
import {
  MAX_VARIANTS,
  MIN_VARIANTS,
  splitByWeights,
  type CampaignVariant,
} from '../../workflows/guest-campaign/variants.js';
import { guestCampaignWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { DEFAULT_POLICY, FLORIDA } from '../../workflows/lib/compliance.js';
import { hhmm, limit, localDate, text, uuid } from '../schemas/atoms.js';

export const GUEST_CAMPAIGN_WORKFLOW_TYPE = 'guestCampaignWorkflow';
/**
 * Where every guest may get marketing texts under the default rules: 08:00–21:00, narrowed by Florida's
 * 08:00–20:00. A campaign's send window must overlap it, or some guests could never be texted in it.
 */
const STRICTEST_MARKETING_WINDOW = intersectWindows(
  DEFAULT_POLICY.purposes.marketing.window!,
  FLORIDA.policies.marketing!.window!,
)!;
const tags = ['Campaigns'];
const idParam = z.object({ id: uuid('a campaign id').openapi({ param: { name: 'id', in: 'path' } }) });

const Variant = z
  .object({
    template: text(1000),
    weight: z
      .number({ message: 'must be a number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(100, 'must be at most 100'),
  })
  .openapi('CampaignVariant');
const CreateCampaign = z
  .object({
    listId: uuid('a guest list id'),
    name: text(100),
    template: text(1000).optional().openapi({ description: 'The text; or give `variants` instead' }),
    variants: z
      .array(Variant)
      .min(MIN_VARIANTS, `give ${MIN_VARIANTS} to ${MAX_VARIANTS} variants`)
      .max(MAX_VARIANTS, `give ${MIN_VARIANTS} to ${MAX_VARIANTS} variants`)
      .optional()
      .openapi({
        description:
          'A/B test: 2–4 templates with whole-number weights (1–100); each guest gets one, assigned stably in proportion to the weights',
      }),
    segmentBudget: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_SEGMENT_BUDGET, `must be at most ${MAX_SEGMENT_BUDGET}`)
      .default(DEFAULT_SEGMENT_BUDGET),
  })
  .refine((b) => (b.template === undefined) !== (b.variants === undefined), {
    message: 'give either `template` or `variants` (not both)',
    path: ['template'],
  })
  .openapi('CreateCampaign');

/** A campaign's own rate (segments/s): at least 0.1, at most the sender's MPS (checked again by the workflow). */
const rate = z
  .number({ message: 'must be a number' })
  .min(MIN_CAMPAIGN_RATE, `must be at least ${MIN_CAMPAIGN_RATE}`)
  .max(MAX_SENDER_MPS, `must be at most ${MAX_SENDER_MPS}`)
  .openapi({ description: 'segments per second', example: 10 });

const Counts = z.object({
  sent: z.number().int(),
  skipped: z.record(z.string(), z.number().int()),
  failed: z.number().int(),
  holds: z.number().int(),
});
const CampaignJson = z
  .object({
    id: z.string(),
    listId: z.string(),
    name: z.string(),
    /** With variants: variant 0's. */
    template: z.string(),
    variants: z.array(Variant).nullable(),
    variables: z.array(z.string()),
    segmentBudget: z.number().int(),
    status: z.enum(CAMPAIGN_STATUSES),
    startAt: z.string().nullable(),
    /** From Postgres: guests per state and reason. */
    recipients: z.array(
      z.object({ state: z.enum(RECIPIENT_STATES), reason: z.string().nullable(), count: z.number().int() }),
    ),
    /** From the workflow while it answers. */
    live: z
      .object({
        status: z.enum(CAMPAIGN_STATUSES),
        counts: Counts,
        inFlightBatches: z.number().int(),
        nextWakeAtMs: z.number().nullable(),
        rateMps: z.number().nullable(),
      })
      .nullable(),
    sendAtLocal: z
      .object({
        date: z.string(),
        time: z.string(),
        window: z.object({ start: z.string(), end: z.string() }).nullable().optional(),
      })
      .nullable(),
    rateMps: z.number().nullable(),
    createdAt: z.string(),
  })
  .openapi('Campaign');

const SendWindow = z
  .object({ start: hhmm, end: hhmm })
  .refine(isSameDayWindow, { message: 'must start before it ends (same day)', path: ['end'] })
  .refine((w) => !isSameDayWindow(w) || intersectWindows(w, STRICTEST_MARKETING_WINDOW) !== null, {
    message: `must overlap ${STRICTEST_MARKETING_WINDOW.start}–${STRICTEST_MARKETING_WINDOW.end}, when every guest may get marketing texts`,
  })
  .openapi('CampaignSendWindow', {
    description: "Local times between which texts go, in each guest's zone (also within their quiet hours)",
  });
const StartCampaign = z
  .object({
    at: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 instant' }).optional(),
    sendAtLocal: z.object({ date: localDate, time: hhmm, window: SendWindow.optional() }).optional().openapi({
      description:
        "Each guest at `time` on `date` in their own zone (instead of `at`); never outside `window` nor the guest's quiet hours: held until allowed",
    }),
    rateMps: rate.optional(),
  })
  .refine((b) => !(b.at && b.sendAtLocal), {
    message: 'give either `at` or `sendAtLocal`, not both',
    path: ['sendAtLocal'],
  })
  .openapi('StartCampaign');

const PreviewJson = z
  .object({
    guestId: z.string(),
    /** The variant previewed (null: the campaign has no variants). */
    variant: z.number().int().nullable(),
    body: z.string(),
    encoding: z.enum(['GSM-7', 'UCS-2']),
    segments: z.number().int(),
    segmentBudget: z.number().int(),
    withinBudget: z.boolean(),
  })
  .openapi('CampaignPreview');

const RecipientJson = z
  .object({
    guestId: z.string(),
    state: z.enum(RECIPIENT_STATES),
    reason: z.string().nullable(),
    heldUntil: z.string().nullable(),
    messageId: z.number().int().nullable(),
    /** The A/B variant this guest gets (null: the campaign has no variants, or the guest is not texted). */
    variant: z.number().int().nullable(),
    /** The text's provider status (queued, sent, delivered, undelivered, failed…), moved forward only by status callbacks. */
    messageStatus: z.string().nullable(),
    errorCode: z.number().int().nullable(),
    /** The sender of the guest's current text: `secondary` after a 30003/30007 failure with TWILIO_SECONDARY_FROM set. */
    sender: z.enum(CAMPAIGN_SENDERS),
    updatedAt: z.string(),
  })
  .openapi('CampaignRecipient');

const createCampaignRoute = createRoute({
  method: 'post',
  path: '/',
  tags,
  summary:
    'Create a draft campaign: refused (422) if the template is invalid, a guest lacks a variable, or a text exceeds the segment budget',
  request: { body: jsonBody(CreateCampaign) },
  responses: {
    201: {
      ...jsonResponse(CampaignJson, 'Created'),
      headers: z.object({ location: z.string().openapi({ description: '/campaigns/<id>' }) }),
    },
    ...problems(404, 422, ...BODY_PROBLEMS),
  },
});
const getCampaignRoute = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  summary: 'A campaign: status, guests per state and reason, live progress',
  request: { params: idParam },
  responses: { 200: jsonResponse(CampaignJson, 'The campaign'), ...problems(404) },
});
const previewRoute = createRoute({
  method: 'get',
  path: '/{id}/preview',
  tags,
  summary:
    "The text one guest would get, with its encoding and segment count (with variants: the guest's variant, or `variant`)",
  request: {
    params: idParam,
    query: z.object({
      guestId: uuid('a guest id'),
      variant: z.coerce
        .number({ message: 'must be a number' })
        .int('must be a whole number')
        .min(0, 'must be at least 0')
        .max(MAX_VARIANTS - 1, `must be at most ${MAX_VARIANTS - 1}`)
        .optional()
        .openapi({ description: '0-based variant to preview (default: the one this guest gets)' }),
    }),
  },
  responses: { 200: jsonResponse(PreviewJson, 'The preview'), ...problems(404, 422) },
});
const startRoute = createRoute({
  method: 'post',
  path: '/{id}/start',
  tags,
  summary: 'Start now, or schedule for `at` (ISO 8601)',
  request: {
    params: idParam,
    body: jsonBody(StartCampaign),
  },
  responses: {
    202: jsonResponse(CampaignJson, 'Started or scheduled'),
    ...problems(404, 409, 422, 503, ...BODY_PROBLEMS),
  },
});
const action = (verb: 'pause' | 'resume' | 'cancel', summary: string) =>
  createRoute({
    method: 'post',
    path: `/{id}/${verb}`,
    tags,
    summary,
    request: { params: idParam },
    responses: {
      200: jsonResponse(
        z
          .object({ status: z.enum(CAMPAIGN_STATUSES), inFlightBatches: z.number().int() })
          .openapi('CampaignAction'),
        'The campaign after the change',
      ),
      ...problems(404, 422, 503),
    },
  });
const pauseRoute = action(
  'pause',
  'Pause: no text starts after the answer (in-flight batches stop before their next text)',
);
const resumeRoute = action('resume', 'Resume exactly where it stopped');
const cancelRoute = action('cancel', 'Cancel for good');
const rateRoute = createRoute({
  method: 'post',
  path: '/{id}/rate',
  tags,
  summary:
    "Change the campaign's rate while it runs, without a restart: from 0.1 to the sender's MPS (segments/s); the next text is paced by it",
  request: { params: idParam, body: jsonBody(z.object({ mps: rate }).openapi('CampaignRate')) },
  responses: {
    200: jsonResponse(
      z
        .object({ status: z.enum(CAMPAIGN_STATUSES), rateMps: z.number().nullable() })
        .openapi('CampaignRateChanged'),
      'The campaign after the change',
    ),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});
const ProgressJson = z
  .object({
    campaignId: z.string(),
    status: z.enum(CAMPAIGN_STATUSES),
    total: z.number().int(),
    /** Guests per state and reason (Postgres). */
    byState: z.record(z.string(), z.number().int()),
    byReason: z.array(
      z.object({ state: z.enum(RECIPIENT_STATES), reason: z.string().nullable(), count: z.number().int() }),
    ),
    /** The rate set for the campaign (null: as fast as its share allows). */
    rateMps: z.number().nullable(),
    /** What it sends at now: its fair share of the sender among running campaigns, within its own rate. */
    effectiveRateMps: z.number().nullable(),
    runningCampaigns: z.number().int(),
    /** Texts still to go (pending, or held until a later instant). */
    remaining: z.number().int(),
    /** The end of the last hold, or now + pending ÷ rate, whichever is later (null when finished or paused). */
    estimatedFinishAt: z.string().nullable(),
    live: z.object({ inFlightBatches: z.number().int(), nextWakeAtMs: z.number().nullable() }).nullable(),
  })
  .openapi('CampaignProgress');
const progressRoute = createRoute({
  method: 'get',
  path: '/{id}/progress',
  tags,
  summary:
    'Live progress: guests per state and reason, the rate set and the rate it sends at, estimated finish',
  request: { params: idParam },
  responses: { 200: jsonResponse(ProgressJson, 'Progress'), ...problems(404) },
});
const resendRoute = createRoute({
  method: 'post',
  path: '/{id}/resend',
  tags,
  summary:
    'Send again to those not delivered (failed, undelivered): a completed campaign runs once more for them only; nobody who got it is re-texted',
  request: { params: idParam },
  responses: {
    202: jsonResponse(
      z.object({ round: z.number().int(), status: z.enum(CAMPAIGN_STATUSES) }).openapi('CampaignResend'),
      'Started',
    ),
    ...problems(404, 409, 422, 503),
  },
});
const VariantStatsJson = z
  .object({
    variant: z.number().int(),
    template: z.string(),
    weight: z.number().int(),
    /** Consented guests assigned to it. */
    recipients: z.number().int(),
    sent: z.number().int(),
    delivered: z.number().int(),
    /** Reported undelivered or failed by the provider. */
    undelivered: z.number().int(),
    /** Guests who replied (any text: RSVP or free). */
    replied: z.number().int(),
    /** delivered ÷ sent (null before any text is sent). */
    deliveryRate: z.number().nullable(),
    /** replied ÷ sent (null before any text is sent). */
    replyRate: z.number().nullable(),
  })
  .openapi('CampaignVariantStats');
const variantsRoute = createRoute({
  method: 'get',
  path: '/{id}/variants',
  tags,
  summary:
    'A/B results: per variant, guests assigned, texts sent, delivered and undelivered, guests who replied, delivery and reply rates',
  request: { params: idParam },
  responses: {
    200: jsonResponse(
      z.object({ campaignId: z.string(), variants: z.array(VariantStatsJson) }).openapi('CampaignVariants'),
      'Per-variant figures',
    ),
    ...problems(404),
  },
});
const recipientsRoute = createRoute({
  method: 'get',
  path: '/{id}/recipients',
  tags,
  summary: 'Who got it and who did not: guests by state (by guest id)',
  request: {
    params: idParam,
    query: z.object({
      state: z.enum(RECIPIENT_STATES).optional(),
      limit: limit(100, 500),
      after: uuid('the nextAfter of the previous page').optional(),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ recipients: z.array(RecipientJson), nextAfter: z.string().nullable() }),
      'A page of recipients',
    ),
    ...problems(404),
  },
});

/** A draft has no workflow yet, and a finished one no longer takes updates: 422 naming the status. */
function refuseIfNot(row: Campaign, verb: string) {
  if (row.status === 'draft' || row.status === 'completed' || row.status === 'cancelled')
    throw rejected('status', `a ${row.status} campaign cannot be ${verb}`);
}

const badRequest = (field: string, message: string) =>
  new HttpProblem({
    title: 'Bad request',
    status: 400,
    detail: `${field}: ${message}`,
    errors: [{ field, message }],
  });
const notFound = (what: string) =>
  new HttpProblem({ title: 'Not found', status: 404, detail: `No ${what}.` });
const rejected = (field: string, message: string) =>
  new HttpProblem({
    title: 'Rejected',
    status: 422,
    detail: `${field}: ${message}`,
    errors: [{ field, message }],
  });

/** The templates of a campaign, each with the field a problem with it names. */
const templatesOf = (c: {
  template?: string | undefined;
  variants?: CampaignVariant[] | null | undefined;
}) =>
  c.variants
    ? c.variants.map((v, i) => ({
        template: v.template,
        field: `variants.${i}.template`,
        label: `variant ${i}: `,
      }))
    : [{ template: c.template!, field: 'template', label: '' }];

/**
 * Every consented guest's text renders and fits the budget — with variants, each variant's text for every guest
 * (a guest may get any of them) — or a 422 naming the first offence (and the variant).
 */
async function checkTemplates(
  db: Db,
  listId: string,
  templates: ReturnType<typeof templatesOf>,
  budget: number,
  brand: string,
) {
  const parsed = templates.map((t) => {
    try {
      return { ...t, tokens: parseTemplate(t.template) };
    } catch (err) {
      if (err instanceof TemplateError) throw rejected(t.field, `${t.label}${err.message}`);
      throw err;
    }
  });
  // A page of guests at a time (only id, name and variables): memory stays flat whatever the list's size. The
  // offence named is the first template's (in order) that has one, as when each template was checked whole.
  let offence: { index: number; problem: HttpProblem } | null = null;
  for (let afterId: string | null = null; offence?.index !== 0;) {
    const rows = await consentedGuestsPage(db, listId, afterId, TEMPLATE_CHECK_PAGE);
    if (rows.length === 0) break;
    afterId = rows[rows.length - 1]!.id;
    for (let i = 0; i < (offence?.index ?? parsed.length); i++) {
      const problem = pageOffence(parsed[i]!, rows, budget, brand);
      if (problem) {
        offence = { index: i, problem };
        break;
      }
    }
    if (rows.length < TEMPLATE_CHECK_PAGE) break;
  }
  if (offence) throw offence.problem;
}

/** Guests read per query by the template check. */
const TEMPLATE_CHECK_PAGE = 2_000;

/** The first guest of the page whose text with this template does not render or is over budget, as a 422. */
function pageOffence(
  t: ReturnType<typeof templatesOf>[number] & { tokens: ReturnType<typeof parseTemplate> },
  rows: Array<{ id: string; name: string | null; variables: Record<string, string> }>,
  budget: number,
  brand: string,
): HttpProblem | null {
  for (const g of rows) {
    try {
      const p = previewFor(t.tokens, guestVariables(g), brand, budget);
      if (!p.withinBudget)
        return rejected(
          t.label ? t.field : 'segmentBudget',
          `${t.label}guest ${g.id}'s text is ${p.segments.segments} segments (${p.segments.encoding}), over the budget of ${budget}`,
        );
    } catch (err) {
      if (err instanceof TemplateError) return rejected(t.field, `${t.label}guest ${g.id}: ${err.message}`);
      throw err;
    }
  }
  return null;
}

export function campaignsRouter({ db, temporal, config, logger }: AppDeps) {
  const senderMps = config.smsPerSecond ?? MAX_SENDER_MPS;
  const handle = (id: string) => temporal.workflow.getHandle(guestCampaignWorkflowId(id));
  async function requireCampaign(id: string) {
    const row = await db.query.campaigns.findFirst({ where: eq(campaigns.id, id) });
    if (!row) throw notFound(`campaign ${id}`);
    return row;
  }
  /**
   * A guest's variant: the stored one once the recipients are prepared; before (a draft), the one preparing them
   * now would give (the same split over the list's consented guests).
   */
  async function variantOf(c: Campaign, guestId: string): Promise<number> {
    const [stored] = await db
      .select({ variant: campaignRecipients.variant })
      .from(campaignRecipients)
      .where(and(eq(campaignRecipients.campaignId, c.id), eq(campaignRecipients.guestId, guestId)));
    if (stored?.variant != null) return stored.variant;
    const ids = await db
      .select({ id: guests.id })
      .from(guests)
      .where(and(eq(guests.listId, c.listId), eq(guests.consent, true)));
    const split = splitByWeights(
      c.id,
      ids.map((g) => g.id),
      c.variants!.map((v) => v.weight),
    );
    return split.get(guestId) ?? 0;
  }
  async function live(c: Campaign): Promise<CampaignProgress | null> {
    if (c.status === 'draft') return null;
    return handle(c.id)
      .query(progressQuery)
      .catch((err: unknown) => {
        logger.warn({ campaignId: c.id, errorName: (err as Error).name }, 'campaign progress query failed');
        return null;
      });
  }
  async function toJson(c: Campaign, progress: CampaignProgress | null) {
    const counts = await recipientCounts(db, c.id);
    return {
      id: c.id,
      listId: c.listId,
      name: c.name,
      template: c.template,
      variants: c.variants ?? null,
      variables: [...new Set(templatesOf(c).flatMap((t) => templateVariables(parseTemplate(t.template))))],
      segmentBudget: c.segmentBudget,
      status: c.status,
      startAt: c.startAt?.toISOString() ?? null,
      recipients: counts,
      live: progress && {
        status: progress.status,
        counts: progress.counts,
        inFlightBatches: progress.inFlightBatches,
        nextWakeAtMs: progress.nextWakeAtMs,
        rateMps: progress.rateMps ?? null,
      },
      sendAtLocal: c.sendAtLocal ?? null,
      rateMps: c.rateMps ?? null,
      createdAt: c.createdAt.toISOString(),
    };
  }

  return createRouter()
    .openapi(createCampaignRoute, async (c) => {
      const input = c.req.valid('json');
      const list = await db.query.guestLists.findFirst({ where: eq(guestLists.id, input.listId) });
      if (!list) throw notFound(`guest list ${input.listId}`);
      await checkTemplates(db, list.id, templatesOf(input), input.segmentBudget, config.brand.name);
      const row = await createCampaign(db, {
        listId: input.listId,
        name: input.name,
        template: input.variants?.[0]?.template ?? input.template!,
        variants: input.variants ?? null,
        segmentBudget: input.segmentBudget,
        brand: config.brand.name,
      });
      logger.info({ campaignId: row.id, listId: list.id }, 'campaign created');
      return c.json(await toJson(row, null), 201, { location: `/campaigns/${row.id}` });
    })
    .openapi(getCampaignRoute, async (c) => {
      const row = await requireCampaign(c.req.valid('param').id);
      return c.json(await toJson(row, await live(row)), 200);
    })
    .openapi(previewRoute, async (c) => {
      const row = await requireCampaign(c.req.valid('param').id);
      const { guestId, variant: asked } = c.req.valid('query');
      const guest = await db.query.guests.findFirst({
        where: and(eq(guests.id, guestId), eq(guests.listId, row.listId)),
      });
      if (!guest) throw notFound(`guest ${guestId} on this campaign's list`);
      let variant: number | null = null;
      if (row.variants) {
        if (asked !== undefined && asked >= row.variants.length)
          throw badRequest(
            'variant',
            `must be at most ${row.variants.length - 1} (this campaign's last variant)`,
          );
        variant = asked ?? (await variantOf(row, guestId));
      } else if (asked !== undefined && asked > 0)
        throw badRequest('variant', 'this campaign has no variants (only 0)');
      const template = variant === null ? row.template : row.variants![variant]!.template;
      try {
        const p = previewFor(parseTemplate(template), guestVariables(guest), row.brand, row.segmentBudget);
        return c.json(
          {
            guestId,
            variant,
            body: p.body,
            encoding: p.segments.encoding,
            segments: p.segments.segments,
            segmentBudget: row.segmentBudget,
            withinBudget: p.withinBudget,
          },
          200,
        );
      } catch (err) {
        if (err instanceof TemplateError) throw rejected(err.field, err.message);
        throw err;
      }
    })
    .openapi(variantsRoute, async (c) => {
      const row = await requireCampaign(c.req.valid('param').id);
      const counts = new Map((await variantCounts(db, row.id)).map((r) => [r.variant, r]));
      const variants = row.variants ?? [{ template: row.template, weight: 100 }];
      const rate = (n: number, of: number) => (of > 0 ? n / of : null);
      return c.json(
        {
          campaignId: row.id,
          variants: variants.map((v, i) => {
            const n = counts.get(i) ?? { recipients: 0, sent: 0, delivered: 0, undelivered: 0, replied: 0 };
            return {
              variant: i,
              template: v.template,
              weight: v.weight,
              recipients: n.recipients,
              sent: n.sent,
              delivered: n.delivered,
              undelivered: n.undelivered,
              replied: n.replied,
              deliveryRate: rate(n.delivered, n.sent),
              replyRate: rate(n.replied, n.sent),
            };
          }),
        },
        200,
      );
    })
    .openapi(startRoute, async (c) => {
      const row = await requireCampaign(c.req.valid('param').id);
      if (row.status !== 'draft')
        throw new HttpProblem({ title: 'Conflict', status: 409, detail: `The campaign is ${row.status}.` });
      // Guests may have changed since the draft: check every text again.
      await checkTemplates(db, row.listId, templatesOf(row), row.segmentBudget, row.brand);
      const { at, sendAtLocal, rateMps } = c.req.valid('json');
      if (rateMps !== undefined && rateMps > senderMps)
        throw badRequest('rateMps', `must be at most the sender's ${senderMps} segments/s`);
      await setCampaignSchedule(db, row.id, {
        startAt: at ? new Date(at) : null,
        sendAtLocal: sendAtLocal ?? null,
        rateMps: rateMps ?? null,
      });
      const args: [GuestCampaignInput] = [
        {
          campaignId: row.id,
          startAtMs: at ? Date.parse(at) : null,
          ...(sendAtLocal && { sendAtLocal }),
          ...(rateMps !== undefined && { rateMps }),
          maxRateMps: senderMps,
        },
      ];
      await temporal.workflow.start(GUEST_CAMPAIGN_WORKFLOW_TYPE, {
        taskQueue: TASK_QUEUE,
        workflowId: guestCampaignWorkflowId(row.id),
        args,
        typedSearchAttributes: [{ key: CAMPAIGN_ID_SA, value: row.id }],
        staticSummary: `Guest campaign ${row.id}`,
      });
      logger.info({ campaignId: row.id }, 'campaign started');
      const fresh = await requireCampaign(row.id);
      const progress = await live({ ...fresh, status: 'running' });
      // The workflow writes its first status to the row itself; until it has, answer with the workflow's own
      // (scheduled or running), never the "draft" the campaign no longer is.
      const status = fresh.status === 'draft' && progress ? progress.status : fresh.status;
      return c.json(await toJson({ ...fresh, status }, progress), 202);
    })
    .openapi(pauseRoute, async (c) => {
      const row = await requireCampaign(c.req.valid('param').id);
      refuseIfNot(row, 'paused');
      const res = await handle(row.id).executeUpdate(pauseUpdate);
      return c.json({ status: res.status, inFlightBatches: res.inFlightBatches }, 200);
    })
    .openapi(resumeRoute, async (c) => {
      const row = await requireCampaign(c.req.valid('param').id);
      refuseIfNot(row, 'resumed');
      const res = await handle(row.id).executeUpdate(resumeUpdate);
      return c.json({ status: res.status, inFlightBatches: res.inFlightBatches }, 200);
    })
    .openapi(cancelRoute, async (c) => {
      const row = await requireCampaign(c.req.valid('param').id);
      refuseIfNot(row, 'cancelled');
      const res = await handle(row.id).executeUpdate(cancelUpdate);
      return c.json({ status: res.status, inFlightBatches: res.inFlightBatches }, 200);
    })
    .openapi(rateRoute, async (c) => {
      const row = await requireCampaign(c.req.valid('param').id);
      const { mps } = c.req.valid('json');
      if (mps > senderMps) throw badRequest('mps', `must be at most the sender's ${senderMps} segments/s`);
      refuseIfNot(row, 'changed');
      const res = await handle(row.id).executeUpdate(setRateUpdate, { args: [{ mps }] });
      logger.info({ campaignId: row.id, rateMps: mps }, 'campaign rate changed');
      return c.json({ status: res.status, rateMps: res.rateMps }, 200);
    })
    .openapi(progressRoute, async (c) => {
      const row = await requireCampaign(c.req.valid('param').id);
      const [counts, progress, sending, lastHold] = await Promise.all([
        recipientCounts(db, row.id),
        live(row),
        sendingState(db, row.id),
        db
          .select({ at: max(campaignRecipients.heldUntil) })
          .from(campaignRecipients)
          .where(and(eq(campaignRecipients.campaignId, row.id), eq(campaignRecipients.state, 'held'))),
      ]);
      const byState: Record<string, number> = {};
      for (const r of counts) byState[r.state] = (byState[r.state] ?? 0) + r.count;
      const pending = byState.pending ?? 0;
      const remaining = pending + (byState.held ?? 0);
      const status = progress?.status ?? row.status;
      const active = status === 'running' || status === 'scheduled';
      const effective = active
        ? campaignRate(senderMps, { id: row.id, rateMps: row.rateMps }, sending.running)
        : null;
      let finish: number | null = null;
      if (active && remaining > 0 && effective) {
        const now = Date.now();
        const start = Math.max(now, row.startAt?.getTime() ?? now);
        finish = Math.max(start + (pending / effective) * 1000, lastHold[0]?.at?.getTime() ?? 0);
      }
      return c.json(
        {
          campaignId: row.id,
          status,
          total: counts.reduce((n, r) => n + r.count, 0),
          byState,
          byReason: counts,
          rateMps: progress?.rateMps ?? row.rateMps ?? null,
          effectiveRateMps: effective,
          runningCampaigns: sending.running.length,
          remaining,
          estimatedFinishAt: finish === null ? null : new Date(finish).toISOString(),
          live: progress && {
            inFlightBatches: progress.inFlightBatches,
            nextWakeAtMs: progress.nextWakeAtMs,
          },
        },
        200,
      );
    })
    .openapi(resendRoute, async (c) => {
      const row = await requireCampaign(c.req.valid('param').id);
      if (row.status !== 'completed')
        throw rejected(
          'status',
          `a ${row.status} campaign cannot be sent again (wait until it is completed)`,
        );
      const round = (await lastRound(db, row.id)) + 1;
      const args: [GuestCampaignInput] = [{ campaignId: row.id, resendRound: round }];
      await temporal.workflow.start(GUEST_CAMPAIGN_WORKFLOW_TYPE, {
        taskQueue: TASK_QUEUE,
        workflowId: guestCampaignWorkflowId(row.id),
        args,
        typedSearchAttributes: [{ key: CAMPAIGN_ID_SA, value: row.id }],
        staticSummary: `Guest campaign ${row.id}: resend ${round}`,
      });
      logger.info({ campaignId: row.id, round }, 'campaign resend started');
      return c.json({ round, status: 'running' as const }, 202);
    })
    .openapi(recipientsRoute, async (c) => {
      const row = await requireCampaign(c.req.valid('param').id);
      const q = c.req.valid('query');
      const rows = await db
        .select({
          r: campaignRecipients,
          messageStatus: messages.status,
          errorCode: messages.errorCode,
        })
        .from(campaignRecipients)
        .leftJoin(messages, eq(messages.id, campaignRecipients.messageId))
        .where(
          and(
            eq(campaignRecipients.campaignId, row.id),
            q.state ? eq(campaignRecipients.state, q.state) : undefined,
            q.after ? gt(campaignRecipients.guestId, q.after) : undefined,
          ),
        )
        .orderBy(asc(campaignRecipients.guestId))
        .limit(q.limit);
      return c.json(
        {
          recipients: rows.map(({ r, messageStatus, errorCode }) => ({
            guestId: r.guestId,
            state: r.state,
            reason: r.reason,
            heldUntil: r.heldUntil?.toISOString() ?? null,
            messageId: r.messageId,
            variant: r.variant,
            messageStatus,
            errorCode,
            sender: r.sender,
            updatedAt: r.updatedAt.toISOString(),
          })),
          nextAfter: rows.length === q.limit ? rows.at(-1)!.r.guestId : null,
        },
        200,
      );
    });
}
