/**
 * Test sends: a campaign's text (of a chosen A/B variant, default the first) to up to 5 numbers (the organiser,
 * staff), rendered for a chosen guest of the list or from sample variables. Each is one `messageWorkflow` under the key `campaign:<id>:test:<test send id>`,
 * kind `campaign_test`, purpose transactional (the numbers asked for it; a suppressed number is still never
 * texted), without `campaign_id`: never counted in the campaign's figures, never a guest's state.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { SendSmsInput } from '../../activities/messaging.js';
import { createTestSends, testSendKey, testSendsOf } from '../../db/campaigns.js';
import { campaigns, guests } from '../../db/schema.js';
import {
  guestVariables,
  parseTemplate,
  previewFor,
  TemplateError,
} from '../../workflows/guest-campaign/template.js';
import { MAX_VARIANTS } from '../../workflows/guest-campaign/variants.js';
import { zoneFromNumber } from '../../workflows/guest-campaign/zones.js';
import { messageWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { e164, limit, uuid } from '../schemas/atoms.js';
import { aboutSubject, subjectOfRecipient } from '../../workflows/lib/subject.js';

export const MAX_TEST_NUMBERS = 5;
const tags = ['Campaigns'];
const idParam = z.object({ id: uuid('a campaign id').openapi({ param: { name: 'id', in: 'path' } }) });

const CreateTestSend = z
  .object({
    to: z
      .array(e164)
      .min(1, 'give at least one number')
      .max(MAX_TEST_NUMBERS, `at most ${MAX_TEST_NUMBERS} numbers`)
      .refine((a) => new Set(a).size === a.length, 'each number once'),
    guestId: uuid("a guest id on this campaign's list").optional(),
    variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/), z.string().max(500)).optional(),
    variant: z
      .number()
      .int()
      .min(0)
      .max(MAX_VARIANTS - 1)
      .optional()
      .openapi({
        description:
          "Which A/B variant's text to send (0-based index into the campaign's variants; default 0). A campaign without variants has only 0.",
      }),
  })
  .refine((b) => (b.guestId === undefined) !== (b.variables === undefined), {
    message: 'give either guestId or variables',
    path: ['guestId'],
  })
  .openapi('CreateCampaignTestSend');

const TestSendJson = z
  .object({
    id: z.string(),
    phone: z.string(),
    guestId: z.string().nullable(),
    body: z.string(),
    createdAt: z.string(),
    messageStatus: z
      .string()
      .nullable()
      .openapi({ description: "The text's status (null until it is sent)" }),
  })
  .openapi('CampaignTestSend');

const createRouteDef = createRoute({
  method: 'post',
  path: '/{id}/test-sends',
  tags,
  summary: `Send the campaign's text as a test to up to ${MAX_TEST_NUMBERS} numbers (not counted, no guest marked sent)`,
  request: { params: idParam, body: jsonBody(CreateTestSend) },
  responses: {
    202: jsonResponse(
      z.object({
        testSends: z.array(TestSendJson),
        /** The A/B variant whose text was sent (0 for a campaign without variants). */
        variant: z.number().int(),
        segments: z.number().int(),
        encoding: z.string(),
      }),
      'Accepted: one text per number is on its way',
    ),
    ...problems(404, 422, ...BODY_PROBLEMS),
  },
});
const listRouteDef = createRoute({
  method: 'get',
  path: '/{id}/test-sends',
  tags,
  summary: "A campaign's test sends, newest first, with each text's status",
  request: { params: idParam, query: z.object({ limit: limit(20, 100) }) },
  responses: {
    200: jsonResponse(z.object({ testSends: z.array(TestSendJson) }), 'Test sends'),
    ...problems(404),
  },
});

const toJson = (r: Awaited<ReturnType<typeof testSendsOf>>[number]) => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  messageStatus: r.messageStatus ?? null,
});

export function campaignTestSendsRouter({ db, temporal, logger }: AppDeps) {
  const requireCampaign = async (id: string) => {
    const [row] = await db.select().from(campaigns).where(eq(campaigns.id, id));
    if (!row) throw new HttpProblem({ title: 'Not found', status: 404, detail: `No campaign ${id}.` });
    return row;
  };
  return createRouter()
    .openapi(createRouteDef, async (c) => {
      const campaign = await requireCampaign(c.req.valid('param').id);
      const input = c.req.valid('json');
      const variant = input.variant ?? 0;
      const templates = campaign.variants?.map((v) => v.template) ?? [campaign.template];
      const template = templates[variant];
      if (template === undefined)
        throw new HttpProblem({
          title: 'Invalid request',
          status: 400,
          detail: `variant: this campaign has ${templates.length === 1 ? 'no variants (only 0)' : `variants 0 to ${templates.length - 1}`}`,
          errors: [{ field: 'variant', message: `must be from 0 to ${templates.length - 1}` }],
        });
      let vars = input.variables ?? {};
      if (input.guestId) {
        const [guest] = await db
          .select()
          .from(guests)
          .where(and(eq(guests.id, input.guestId), eq(guests.listId, campaign.listId)));
        if (!guest)
          throw new HttpProblem({
            title: 'Not found',
            status: 404,
            detail: `No guest ${input.guestId} on this campaign's list.`,
          });
        vars = guestVariables(guest);
      }
      let preview;
      try {
        preview = previewFor(parseTemplate(template), vars, campaign.brand, campaign.segmentBudget);
      } catch (err) {
        if (!(err instanceof TemplateError)) throw err;
        const field = input.guestId ? 'guestId' : err.field;
        throw new HttpProblem({
          title: 'Invalid request',
          status: 400,
          detail: `${field}: ${err.message}`,
          errors: [{ field, message: err.message }],
        });
      }
      if (!preview.withinBudget)
        throw new HttpProblem({
          title: 'Rejected',
          status: 422,
          detail: `segmentBudget: the text is ${preview.segments.segments} segments, over the budget of ${campaign.segmentBudget}`,
          errors: [{ field: 'segmentBudget', message: 'the rendered text is over the segment budget' }],
        });
      const rows = await createTestSends(
        db,
        input.to.map((phone) => {
          const parsed = parsePhoneNumberFromString(phone);
          return {
            campaignId: campaign.id,
            phone,
            timezone: (parsed && zoneFromNumber(parsed.number, parsed.country)) ?? 'UTC',
            guestId: input.guestId ?? null,
            body: preview.body,
          };
        }),
      );
      for (const row of rows) {
        const key = testSendKey(campaign.id, row.id);
        const sms: SendSmsInput = {
          idempotencyKey: key,
          to: { campaignTestSendId: row.id },
          kind: 'campaign_test',
          purpose: 'transactional',
          body: row.body,
        };
        await temporal.workflow.start('messageWorkflow', {
          taskQueue: TASK_QUEUE,
          workflowId: messageWorkflowId(key),
          args: [aboutSubject(subjectOfRecipient(sms.to), sms)],
          staticSummary: `Campaign test send (${campaign.id})`,
        });
      }
      logger.info({ campaignId: campaign.id, numbers: rows.length, variant }, 'campaign test sends started');
      return c.json(
        {
          testSends: rows.map((r) => ({
            id: r.id,
            phone: r.phone,
            guestId: r.guestId,
            body: r.body,
            createdAt: r.createdAt.toISOString(),
            messageStatus: null,
          })),
          variant,
          segments: preview.segments.segments,
          encoding: preview.segments.encoding,
        },
        202,
      );
    })
    .openapi(listRouteDef, async (c) => {
      const campaign = await requireCampaign(c.req.valid('param').id);
      const rows = await testSendsOf(db, campaign.id, c.req.valid('query').limit);
      return c.json({ testSends: rows.map(toJson) }, 200);
    });
}
