/**
 * `/me`: a signed-in member's own data, with a member access token (api/auth.ts lets only those through). The
 * member is always the token's: no route takes a member id of its own, so no member can ask for another one's
 * data (object-level authorisation by construction). The handlers and schemas are the member routes' own.
 *
 * A mentor's token also reads `/me/mentees`: only their ACTIVE mentees, and only what a mentor may see (name,
 * zone, focus areas, streaks, the statuses of recent days; the risk level only when the mentee agreed to share
 * it; never the phone number, reflections or mood). Anyone else's id answers 404, as if it did not exist.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, gte } from 'drizzle-orm';
import { activeMentees, mentorIdOf } from '../../db/auth.js';
import { memberProgress } from '../../db/analytics.js';
import { checkIns } from '../../db/schema.js';
import { memberOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { uuid } from '../schemas/atoms.js';
import {
  CHECK_IN_STATUSES,
  localDateOf,
  memberStateQuery,
  memberWorkflowId,
  RISK_LEVELS,
} from '../workflows.js';
import { GoalJson, GoalsQuery } from './goals.js';
import {
  atLeastOneUpdate,
  CheckInJson,
  CheckInsQuery,
  checkInsPage,
  liveMemberState,
  MemberJson,
  ProgressJson,
  requireMemberRow,
  toMemberJson,
  UPDATE_MEMBER_FIELDS,
  updateMemberSettings,
} from './members.js';

const tags = ['Me (member token)'];
const security = [{ memberToken: [] }];

const MenteeJson = z
  .object({
    matchId: z.string(),
    memberId: z.string(),
    name: z.string(),
    timezone: z.string(),
    focusAreas: z.array(z.string()),
    weeks: z.number().int(),
    since: z.string(),
    currentStreak: z.number().int(),
    longestStreak: z.number().int(),
    lastCheckInDate: z.string().nullable(),
    risk: z.enum(RISK_LEVELS).nullable().openapi({ description: 'Only when the mentee agreed to share it' }),
  })
  .openapi('Mentee', { description: 'What a mentor may see of an active mentee' });

const MenteeDetailJson = MenteeJson.extend({
  recentDays: z
    .array(z.object({ localDate: z.string(), goalId: z.number().int(), status: z.enum(CHECK_IN_STATUSES) }))
    .openapi({ description: 'Check-in statuses of the last 14 days (no reflections, no mood)' }),
}).openapi('MenteeDetail');

const profileRoute = createRoute({
  method: 'get',
  path: '/',
  tags,
  security,
  summary: 'My profile, status, streak and next prompt',
  responses: { 200: jsonResponse(MemberJson, 'Me'), ...problems(404) },
});

/** Strict: a member may change their zone, check-in time, tone and nudge delay, and nothing else. */
const UpdateMe = z
  .strictObject(UPDATE_MEMBER_FIELDS)
  .partial()
  .refine(...atLeastOneUpdate)
  .openapi('UpdateMe', { minProperties: 1, additionalProperties: false });

const updateRoute = createRoute({
  method: 'patch',
  path: '/',
  tags,
  security,
  summary: 'Change my zone, check-in time, tone or nudge delay (any other field is a 400 naming it)',
  request: { body: jsonBody(UpdateMe) },
  responses: {
    200: jsonResponse(MemberJson, 'Me after the change'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});

const checkInsRoute = createRoute({
  method: 'get',
  path: '/check-ins',
  tags,
  security,
  summary: 'My check-ins, newest first',
  request: { query: CheckInsQuery },
  responses: {
    200: jsonResponse(
      z.object({ checkIns: z.array(CheckInJson), nextBefore: z.string().nullable() }),
      'A page of check-ins; pass nextBefore as before for the next one',
    ),
    ...problems(404),
  },
});

const goalsRoute = createRoute({
  method: 'get',
  path: '/goals',
  tags,
  security,
  summary: 'My goals with their streaks and plans',
  request: { query: GoalsQuery },
  responses: { 200: jsonResponse(z.object({ goals: z.array(GoalJson) }), 'Goals'), ...problems(404, 503) },
});

const progressRoute = createRoute({
  method: 'get',
  path: '/progress',
  tags,
  security,
  summary: 'My adherence, streaks and weekly aggregates',
  responses: { 200: jsonResponse(ProgressJson, 'Progress'), ...problems(404) },
});

const menteesRoute = createRoute({
  method: 'get',
  path: '/mentees',
  tags,
  security,
  summary: 'Mentor token: my active mentees',
  responses: {
    200: jsonResponse(z.object({ mentees: z.array(MenteeJson) }), 'Active mentees'),
    ...problems(403),
  },
});

const menteeRoute = createRoute({
  method: 'get',
  path: '/mentees/{memberId}',
  tags,
  security,
  summary: 'Mentor token: one active mentee (404 for anyone who is not one of mine)',
  request: {
    params: z.object({
      memberId: uuid('a member id').openapi({ param: { name: 'memberId', in: 'path' } }),
    }),
  },
  responses: { 200: jsonResponse(MenteeDetailJson, 'The mentee'), ...problems(403, 404) },
});

type MenteeRow = Awaited<ReturnType<typeof activeMentees>>[number];
const menteeView = (m: MenteeRow) => ({
  matchId: m.matchId,
  memberId: m.memberId,
  name: m.name,
  timezone: m.timezone,
  focusAreas: m.focusAreas,
  weeks: m.weeks,
  since: m.since.toISOString(),
  currentStreak: m.currentStreak,
  longestStreak: m.longestStreak,
  lastCheckInDate: m.lastCheckInDate,
  risk: m.shareRisk ? m.risk : null,
});

export function meRouter(deps: AppDeps) {
  const { db, temporal } = deps;

  /** The token's member must be a mentor (in the token and still in the database). */
  async function requireMentor(memberId: string, mentorToken: boolean) {
    if (!mentorToken || !(await mentorIdOf(db, memberId))) {
      throw new HttpProblem({
        title: 'Forbidden',
        status: 403,
        detail: 'Only a mentor (signed in as one) may read mentees.',
      });
    }
  }

  return createRouter()
    .openapi(profileRoute, async (c) => {
      const { memberId } = memberOf(c);
      const member = await requireMemberRow(db, memberId);
      return c.json(toMemberJson(member, await liveMemberState(deps, memberId)), 200);
    })
    .openapi(updateRoute, async (c) =>
      c.json(await updateMemberSettings(deps, memberOf(c).memberId, c.req.valid('json')), 200),
    )
    .openapi(checkInsRoute, async (c) => {
      const { memberId } = memberOf(c);
      await requireMemberRow(db, memberId);
      return c.json(await checkInsPage(db, memberId, c.req.valid('query')), 200);
    })
    .openapi(goalsRoute, async (c) => {
      const { memberId } = memberOf(c);
      const { status } = c.req.valid('query');
      await requireMemberRow(db, memberId);
      const live = await temporal.workflow.getHandle(memberWorkflowId(memberId)).query(memberStateQuery);
      const goals = live.goals ?? [];
      return c.json({ goals: status === 'all' ? goals : goals.filter((g) => g.status === status) }, 200);
    })
    .openapi(progressRoute, async (c) => {
      const { memberId } = memberOf(c);
      const member = await requireMemberRow(db, memberId);
      const progress = await memberProgress(db, memberId, localDateOf(Date.now(), member.timezone));
      if (!progress) throw new HttpProblem({ title: 'Not found', status: 404, detail: 'No such member.' });
      return c.json(progress, 200);
    })
    .openapi(menteesRoute, async (c) => {
      const me = memberOf(c);
      await requireMentor(me.memberId, me.mentor);
      return c.json({ mentees: (await activeMentees(db, me.memberId)).map(menteeView) }, 200);
    })
    .openapi(menteeRoute, async (c) => {
      const me = memberOf(c);
      await requireMentor(me.memberId, me.mentor);
      const { memberId } = c.req.valid('param');
      const [mentee] = await activeMentees(db, me.memberId, memberId);
      if (!mentee) {
        throw new HttpProblem({
          title: 'Not found',
          status: 404,
          detail: 'No active mentee of yours has this id.',
        });
      }
      const since = new Date(Date.now() - 14 * 86_400_000).toISOString().slice(0, 10);
      const recentDays = await db
        .select({ localDate: checkIns.localDate, goalId: checkIns.goalId, status: checkIns.status })
        .from(checkIns)
        .where(and(eq(checkIns.memberId, mentee.memberId), gte(checkIns.localDate, since)))
        .orderBy(desc(checkIns.localDate), desc(checkIns.goalId));
      return c.json({ ...menteeView(mentee), recentDays }, 200);
    });
}
