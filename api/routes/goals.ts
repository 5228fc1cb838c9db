import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { intId, memberIdParam, text } from '../schemas/atoms.js';
import {
  addGoalUpdate,
  archiveGoalUpdate,
  GOAL_STATUSES,
  MAX_TITLE_LENGTH,
  memberStateQuery,
  memberWorkflowId,
} from '../workflows.js';
import { requireMemberRow } from './members.js';
import { aboutSubject, subjectOf } from '../../workflows/lib/subject.js';

const cadence = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('daily') }),
    z.object({
      kind: z.literal('times_per_week'),
      times: z.number().int('must be a whole number').min(1).max(6, 'must be at most 6 (7 is daily)'),
    }),
    z.object({
      kind: z.literal('weekdays'),
      days: z
        .array(z.number().int().min(0, '0 is Sunday').max(6, '6 is Saturday'))
        .min(1, 'name at least one weekday')
        .max(6, 'at most 6 weekdays (all 7 is daily)')
        .refine((d) => new Set(d).size === d.length, 'must not repeat a weekday')
        .transform((d) => [...d].sort((a, b) => a - b)),
    }),
  ],
  { error: 'must be {kind: daily}, {kind: times_per_week, times} or {kind: weekdays, days}' },
);

const CreateGoal = z.object({ title: text(MAX_TITLE_LENGTH), cadence }).openapi('CreateGoal');

const CadenceJson = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('daily') }),
    z.object({ kind: z.literal('times_per_week'), times: z.number().int() }),
    z.object({ kind: z.literal('weekdays'), days: z.array(z.number().int()) }),
  ])
  .openapi('Cadence');

export const GoalJson = z
  .object({
    id: z.number().int(),
    title: z.string(),
    cadence: CadenceJson,
    status: z.enum(GOAL_STATUSES),
    createdOn: z.string(),
    currentStreak: z.number().int(),
    longestStreak: z.number().int(),
    plan: z
      .object({ milestones: z.array(z.string()), dailyHabits: z.array(z.string()), weeklyTarget: z.string() })
      .nullable(),
    planSource: z.string().nullable(),
  })
  .openapi('Goal');

export const GoalsQuery = z.strictObject({ status: z.enum([...GOAL_STATUSES, 'all']).default('all') });

const goalParams = memberIdParam.extend({
  goalId: intId('a goal id').openapi({ param: { name: 'goalId', in: 'path' } }),
});

const tags = ['Goals'];

const addRoute = createRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Add a goal (a workflow update): answered with the goal and its AI plan',
  request: { params: memberIdParam, body: jsonBody(CreateGoal) },
  responses: {
    201: {
      ...jsonResponse(GoalJson, 'The goal with its plan'),
      headers: z.object({ location: z.string() }),
    },
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});

const listRoute = createRoute({
  method: 'get',
  path: '/',
  tags,
  summary: "The member's goals with their streaks and plans (live from the workflow)",
  request: {
    params: memberIdParam,
    query: GoalsQuery,
  },
  responses: {
    200: jsonResponse(z.object({ goals: z.array(GoalJson) }), 'Goals'),
    ...problems(404, 503),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/{goalId}',
  tags,
  summary: 'One goal',
  request: { params: goalParams },
  responses: { 200: jsonResponse(GoalJson, 'The goal'), ...problems(404, 503) },
});

const archiveRoute = createRoute({
  method: 'delete',
  path: '/{goalId}',
  tags,
  summary: 'Archive a goal: no longer prompted, history kept (the same answer again on a repeat)',
  request: { params: goalParams },
  responses: { 200: jsonResponse(GoalJson, 'The archived goal'), ...problems(404, 422, 503) },
});

/**
 * A member's goals, mounted at /members/:id/goals. The member workflow owns them: adding and archiving are
 * Temporal updates (the workflow's validator rejects with a typed failure naming the field → 422), and the list
 * is the workflow's state query.
 */
export function goalsRouter({ db, temporal }: AppDeps) {
  const handle = (id: string) => temporal.workflow.getHandle(memberWorkflowId(id));
  const snapshot = (id: string) => handle(id).query(memberStateQuery);
  const notFound = (id: string, goalId: number) =>
    new HttpProblem({ title: 'Not found', status: 404, detail: `Member ${id} has no goal ${goalId}.` });

  return createRouter()
    .openapi(addRoute, async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      await requireMemberRow(db, id);
      // The update returns once the goal is stored with its AI plan (or the template fallback).
      const goal = await handle(id).executeUpdate(addGoalUpdate, {
        // The goal's title is the member's personal data: sealed with their key in the history.
        args: [aboutSubject(subjectOf('member', id), { title: body.title, cadence: body.cadence })],
      });
      return c.json(goal, 201, { location: `/members/${id}/goals/${goal.id}` });
    })
    .openapi(listRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { status } = c.req.valid('query');
      await requireMemberRow(db, id);
      const live = await snapshot(id);
      const goals = live.goals ?? []; // a run from before goals has none
      return c.json({ goals: status === 'all' ? goals : goals.filter((g) => g.status === status) }, 200);
    })
    .openapi(getRoute, async (c) => {
      const { id, goalId } = c.req.valid('param');
      await requireMemberRow(db, id);
      const goal = (await snapshot(id)).goals?.find((g) => g.id === goalId);
      if (!goal) throw notFound(id, goalId);
      return c.json(goal, 200);
    })
    .openapi(archiveRoute, async (c) => {
      const { id, goalId } = c.req.valid('param');
      await requireMemberRow(db, id);
      // Archive, not delete: the goal is no longer prompted, its history stays. Repeating it changes nothing.
      const goal = (await snapshot(id)).goals?.find((g) => g.id === goalId);
      if (!goal) throw notFound(id, goalId);
      if (goal.status === 'archived') return c.json(goal, 200);
      return c.json(await handle(id).executeUpdate(archiveGoalUpdate, { args: [{ goalId }] }), 200);
    });
}
