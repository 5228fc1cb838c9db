import { Hono } from 'hono';
import { z } from 'zod';
import { memberWorkflowId } from '../../workflows/ids.js';
import { MAX_TITLE_LENGTH } from '../../workflows/member/goals.js';
import { addGoalUpdate, archiveGoalUpdate, memberStateQuery } from '../../workflows/member/definitions.js';
import type { AppDeps } from '../app.js';
import { HttpProblem, validate } from '../problem.js';
import { idParam, requireMemberRow } from './members.js';

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

const createGoal = z.object({
  title: z
    .string()
    .trim()
    .min(1, 'is required')
    .max(MAX_TITLE_LENGTH, `at most ${MAX_TITLE_LENGTH} characters`),
  cadence,
});

const goalParams = idParam.extend({ goalId: z.coerce.number().int().positive('must be a goal id') });

/**
 * A member's goals, mounted at /members/:id/goals. The member workflow owns them: adding and archiving are
 * Temporal updates (the workflow's validator rejects with `<field>: <reason>` → 422 naming the field), and the
 * list is the workflow's state query.
 */
export function goalsRouter({ db, temporal }: AppDeps) {
  const handle = (id: string) => temporal.workflow.getHandle(memberWorkflowId(id));
  const snapshot = (id: string) => handle(id).query(memberStateQuery);
  const notFound = (id: string, goalId: number) =>
    new HttpProblem({ title: 'Not found', status: 404, detail: `Member ${id} has no goal ${goalId}.` });

  return new Hono()
    .post('/', validate('param', idParam), validate('json', createGoal), async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      await requireMemberRow(db, id);
      // The update returns once the goal is stored with its AI plan (or the template fallback).
      const goal = await handle(id).executeUpdate(addGoalUpdate, {
        args: [{ title: body.title, cadence: body.cadence }],
      });
      return c.json(goal, 201, { location: `/members/${id}/goals/${goal.id}` });
    })
    .get(
      '/',
      validate('param', idParam),
      validate('query', z.object({ status: z.enum(['active', 'archived', 'all']).default('all') })),
      async (c) => {
        const { id } = c.req.valid('param');
        const { status } = c.req.valid('query');
        await requireMemberRow(db, id);
        const live = await snapshot(id);
        const goals = live.goals ?? []; // a run from before goals has none
        return c.json({ goals: status === 'all' ? goals : goals.filter((g) => g.status === status) });
      },
    )
    .get('/:goalId', validate('param', goalParams), async (c) => {
      const { id, goalId } = c.req.valid('param');
      await requireMemberRow(db, id);
      const goal = (await snapshot(id)).goals?.find((g) => g.id === goalId);
      if (!goal) throw notFound(id, goalId);
      return c.json(goal);
    })
    .delete('/:goalId', validate('param', goalParams), async (c) => {
      const { id, goalId } = c.req.valid('param');
      await requireMemberRow(db, id);
      // Archive, not delete: the goal is no longer prompted, its history stays. Repeating it changes nothing.
      const goal = (await snapshot(id)).goals?.find((g) => g.id === goalId);
      if (!goal) throw notFound(id, goalId);
      if (goal.status === 'archived') return c.json(goal);
      return c.json(await handle(id).executeUpdate(archiveGoalUpdate, { args: [{ goalId }] }));
    });
}
