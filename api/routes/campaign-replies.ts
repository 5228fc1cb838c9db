/**
 * Replies from guests to a campaign (conversation routing stores them: api/inbound.ts): counts — replies, guests
 * who replied, RSVPs by each guest's latest yes/no, free text only — and the replies themselves, newest first.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { campaignRepliesPage, replyCounts } from '../../db/campaigns.js';
import { campaigns } from '../../db/schema.js';
import { RSVP_ANSWERS } from '../../workflows/guest-campaign/replies.js';
import type { AppDeps } from '../deps.js';
import { createRouter, jsonResponse, problems } from '../openapi.js';
import { page } from '../pagination.js';
import { HttpProblem } from '../problem.js';
import { intId, limit, MAX_BIGINT_ID, uuid } from '../schemas/atoms.js';

const tags = ['Campaigns'];
const idParam = z.object({ id: uuid('a campaign id').openapi({ param: { name: 'id', in: 'path' } }) });

export const ReplyCountsJson = z
  .object({
    replies: z.number().int().openapi({ description: 'Texts received in reply' }),
    guests: z.number().int().openapi({ description: 'Guests who replied' }),
    yes: z.number().int().openapi({ description: 'Guests whose latest RSVP is yes' }),
    no: z.number().int().openapi({ description: 'Guests whose latest RSVP is no' }),
    other: z.number().int().openapi({ description: 'Guests who replied with free text only' }),
  })
  .openapi('CampaignReplyCounts');

const ReplyJson = z
  .object({
    inboundId: z.number().int(),
    guestId: z.string(),
    name: z.string().nullable(),
    answer: z.enum(RSVP_ANSWERS),
    body: z.string(),
    receivedAt: z.string(),
  })
  .openapi('CampaignReply');

const listRepliesRoute = createRoute({
  method: 'get',
  path: '/{id}/replies',
  tags,
  summary:
    "Guests' replies to a campaign (RSVP yes / no, or free text): counts and the replies, newest first",
  request: {
    params: idParam,
    query: z.object({
      answer: z.enum(RSVP_ANSWERS).optional(),
      limit: limit(50, 500),
      before: intId('the nextBefore of the previous page', MAX_BIGINT_ID).optional(),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({
        counts: ReplyCountsJson,
        replies: z.array(ReplyJson),
        nextBefore: z.number().int().nullable(),
      }),
      'Counts and a page of replies',
    ),
    ...problems(404),
  },
});

export function campaignRepliesRouter({ db }: AppDeps) {
  return createRouter().openapi(listRepliesRoute, async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    const [campaign] = await db.select({ id: campaigns.id }).from(campaigns).where(eq(campaigns.id, id));
    if (!campaign) throw new HttpProblem({ title: 'Not found', status: 404, detail: `No campaign ${id}.` });
    const [counts, rows] = await Promise.all([
      replyCounts(db, id),
      campaignRepliesPage(db, { campaignId: id, answer: q.answer, before: q.before, limit: q.limit }),
    ]);
    const { items, nextBefore } = page(rows, q.limit, (r) => r.inboundId);
    return c.json(
      {
        counts,
        replies: items.map((r) => ({ ...r, receivedAt: r.receivedAt.toISOString() })),
        nextBefore,
      },
      200,
    );
  });
}
