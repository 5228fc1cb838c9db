/**
 * Crew reflections of a challenge (stored redacted only; activities/crews/reflections.ts). The crew sees shared
 * ones; a viewer named by `memberId` also sees their own in any status (the author still sees a hidden one).
 * Members flag (two distinct flags from members of 3+ days hide one); an operator shares or hides, with a reason.
 * Pending reviews past their deadline expire on every read. Decisions with their reasons are kept.
 */
import { createRoute, z } from '@hono/zod-openapi';
import {
  crewMembership,
  decideReflection,
  expireReflections,
  FLAGGER_MIN_DAYS,
  findChallenge,
  findReflection,
  flagReflection,
  reflectionDecisions,
  visibleReflections,
} from '../../db/crews.js';
import { REFLECTION_DECIDERS, REFLECTION_STATUSES, type CrewReflection } from '../../db/crew-schema.js';
import { memberOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { text, uuid } from '../schemas/atoms.js';

const tags = ['Crew challenges'];
const idParam = z.object({ id: uuid('a challenge id').openapi({ param: { name: 'id', in: 'path' } }) });
const reflectionParams = idParam.extend({
  rid: uuid('a reflection id').openapi({ param: { name: 'rid', in: 'path' } }),
});

const ReflectionJson = z
  .object({
    id: z.string().uuid(),
    memberId: z.string().uuid(),
    day: z.number().int(),
    /** Redacted: phone numbers, e-mails and crew members' names replaced. */
    text: z.string(),
    status: z.enum(REFLECTION_STATUSES),
    createdAt: z.string().datetime({ offset: true }),
    reviewBy: z.string().datetime({ offset: true }),
  })
  .openapi('CrewReflection');
const DecisionJson = z
  .object({
    status: z.enum(REFLECTION_STATUSES),
    decidedBy: z.enum(REFLECTION_DECIDERS),
    reason: z.string(),
    createdAt: z.string().datetime({ offset: true }),
  })
  .openapi('CrewReflectionDecision');

const listRoute = createRoute({
  method: 'get',
  path: '/{id}/reflections',
  tags,
  summary: "A challenge's shared reflections (redacted); with memberId, also that member's own in any status",
  request: {
    params: idParam,
    query: z.object({ memberId: uuid('a member id').optional() }),
  },
  responses: {
    200: jsonResponse(z.object({ reflections: z.array(ReflectionJson) }), 'Reflections, oldest first'),
    ...problems(404),
  },
});
const flagRoute = createRoute({
  method: 'post',
  path: '/{id}/reflections/{rid}/flags',
  tags,
  summary: `A crew member of ${FLAGGER_MIN_DAYS}+ days reports a reflection; two distinct reports hide it`,
  request: {
    params: reflectionParams,
    body: jsonBody(z.object({ memberId: uuid('a member id') }).openapi('FlagReflection')),
  },
  responses: {
    200: jsonResponse(
      z.object({ flags: z.number().int(), status: z.enum(REFLECTION_STATUSES) }).openapi('FlagResult'),
      'Flagged (or already flagged by this member)',
    ),
    ...problems(404, 422, ...BODY_PROBLEMS),
  },
});
const moderationRoute = createRoute({
  method: 'post',
  path: '/{id}/reflections/{rid}/moderation',
  tags,
  summary: "An operator's decision on a reflection: share or hide, with the reason (kept)",
  request: {
    params: reflectionParams,
    body: jsonBody(
      z.object({ decision: z.enum(['share', 'hide']), reason: text(200) }).openapi('ModerateReflection'),
    ),
  },
  responses: {
    200: jsonResponse(
      z.object({ reflection: ReflectionJson, decisions: z.array(DecisionJson) }).openapi('ModerationResult'),
      'The reflection and every decision on it',
    ),
    ...problems(404, ...BODY_PROBLEMS),
  },
});

const notFound = (what: string, field: string) =>
  new HttpProblem({
    title: 'Not found',
    status: 404,
    detail: `No such ${what}.`,
    errors: [{ field, message: 'not found' }],
  });

const json = (r: CrewReflection) => ({
  id: r.id,
  memberId: r.memberId,
  day: r.day,
  text: r.text,
  status: r.status,
  createdAt: r.createdAt.toISOString(),
  reviewBy: r.reviewBy.toISOString(),
});

const REFUSED = {
  not_member: 'is not a current member of this crew',
  too_new: `must have been in the crew for ${FLAGGER_MIN_DAYS} days to report`,
  own: 'cannot report their own reflection',
} as const;

export function reflectionsRouter(deps: AppDeps) {
  const { db } = deps;
  const challenge = async (id: string) => {
    if (!(await findChallenge(db, id))) throw notFound('challenge', 'id');
  };
  return createRouter()
    .openapi(listRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { memberId } = c.req.valid('query');
      await challenge(id);
      await expireReflections(db, id, new Date());
      return c.json({ reflections: (await visibleReflections(db, id, memberId)).map(json) }, 200);
    })
    .openapi(flagRoute, async (c) => {
      const { id, rid } = c.req.valid('param');
      const { memberId } = c.req.valid('json');
      await challenge(id);
      const res = await flagReflection(db, {
        challengeId: id,
        reflectionId: rid,
        memberId,
        via: 'api',
        now: new Date(),
      });
      if (res.outcome === 'not_found') throw notFound('reflection', 'rid');
      if (res.outcome === 'flagged' || res.outcome === 'already_flagged')
        return c.json({ flags: res.flags, status: res.status }, 200);
      throw new HttpProblem({
        title: 'Unprocessable',
        status: 422,
        detail: 'This member cannot report this reflection.',
        errors: [{ field: 'memberId', message: REFUSED[res.outcome] }],
      });
    })
    .openapi(moderationRoute, async (c) => {
      const { id, rid } = c.req.valid('param');
      const b = c.req.valid('json');
      await challenge(id);
      const row = await decideReflection(db, { challengeId: id, reflectionId: rid, ...b });
      if (!row) throw notFound('reflection', 'rid');
      const decisions = (await reflectionDecisions(db, row.id)).map((d) => ({
        status: d.status,
        decidedBy: d.decidedBy,
        reason: d.reason,
        createdAt: d.createdAt.toISOString(),
      }));
      return c.json({ reflection: json(row), decisions }, 200);
    });
}

// ---- a member's own view, with a member access token (`/me/challenges/…`) -------------------------------------
//
// A current member of the challenge's crew reads its shared reflections (and their own in any status) and reports
// one, as themselves: the member is always the token's. A challenge of a crew they are not in answers 404, as if
// it did not exist.

const meTags = ['Me (member token)'];
const security = [{ memberToken: [] }];

const meListRoute = createRoute({
  method: 'get',
  path: '/{id}/reflections',
  tags: meTags,
  security,
  summary: "My crew challenge's shared reflections (redacted), and my own in any status",
  request: { params: idParam },
  responses: {
    200: jsonResponse(z.object({ reflections: z.array(ReflectionJson) }), 'Reflections, oldest first'),
    ...problems(404),
  },
});
const meFlagRoute = createRoute({
  method: 'post',
  path: '/{id}/reflections/{rid}/flags',
  tags: meTags,
  security,
  summary: `I report a reflection of my crew (after ${FLAGGER_MIN_DAYS}+ days in it); two distinct reports hide it`,
  request: { params: reflectionParams },
  responses: {
    200: jsonResponse(
      z.object({ flags: z.number().int(), status: z.enum(REFLECTION_STATUSES) }).openapi('FlagResult'),
      'Reported (or already reported by me)',
    ),
    ...problems(404, 422),
  },
});

export function meReflectionsRouter(deps: AppDeps) {
  const { db } = deps;
  /** The challenge, when the signed-in member is currently in its crew; else 404. */
  const myChallenge = async (id: string, memberId: string) => {
    const ch = await findChallenge(db, id);
    if (!ch || !(await crewMembership(db, ch.crewId)).some((m) => m.memberId === memberId))
      throw notFound('challenge', 'id');
  };
  return createRouter()
    .openapi(meListRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { memberId } = memberOf(c);
      await myChallenge(id, memberId);
      await expireReflections(db, id, new Date());
      return c.json({ reflections: (await visibleReflections(db, id, memberId)).map(json) }, 200);
    })
    .openapi(meFlagRoute, async (c) => {
      const { id, rid } = c.req.valid('param');
      const { memberId } = memberOf(c);
      await myChallenge(id, memberId);
      // Only what the member can read may be reported: a reflection held, hidden or expired is not found to them.
      const target = await findReflection(db, id, rid);
      if (!target || (target.status !== 'shared' && target.memberId !== memberId))
        throw notFound('reflection', 'rid');
      const res = await flagReflection(db, {
        challengeId: id,
        reflectionId: rid,
        memberId,
        via: 'api',
        now: new Date(),
      });
      if (res.outcome === 'not_found' || res.outcome === 'not_member') throw notFound('reflection', 'rid');
      if (res.outcome === 'flagged' || res.outcome === 'already_flagged')
        return c.json({ flags: res.flags, status: res.status }, 200);
      throw new HttpProblem({
        title: 'Unprocessable',
        status: 422,
        detail: 'You cannot report this reflection.',
        errors: [{ field: 'rid', message: REFUSED[res.outcome] }],
      });
    });
}
