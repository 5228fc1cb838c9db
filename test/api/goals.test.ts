/**
 * The goals API (/members/:id/goals) against real Postgres and a real Temporal server (time-skipping) with the
 * real worker: goals are Temporal updates on the member workflow, validated by zod (400) and then by the
 * workflow (422), and they shape the daily prompt, answered by SMS as "1 Y 2 N".
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { checkIns, goals, messages } from '../../db/schema.js';
import { promptText } from '../../workflows/member/texts.js';
import type { GoalView } from '../../workflows/member/definitions.js';
import { json } from '../helpers/app.js';
import { confirmMember, newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

/** The time-skipping server, a fresh database, the real workers and the app over them (helpers/stack.ts). */
const t = stackWithApp();
let seq = 0;

const UNKNOWN = '3f1c2a4e-0000-4000-8000-000000000000';

interface Problem {
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await t.app.request(path, {
    method,
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    location: res.headers.get('location'),
    body: (await res.json()) as T,
  };
};

/** A member created through the API who has replied YES to the welcome text. */
async function confirmedMember(tz = 'America/New_York', checkInTime = '19:00') {
  const phone = `+1646555${String(3000 + seq++)}`;
  const created = await call<{ id: string }>('POST', '/members', {
    name: 'Gus',
    phone,
    timezone: tz,
    checkInTime,
  });
  expect(created.status).toBe(201);
  await confirmMember(t.env.client, { id: created.body.id, phone }, sandboxInbound(t.app));
  return { id: created.body.id, phone };
}

const addGoal = (memberId: string, body: unknown) =>
  call<GoalView>('POST', `/members/${memberId}/goals`, body);

describe('POST /members/:id/goals', () => {
  it('adds a goal with its AI plan (template without OpenAI): 201, Location, mirrored in Postgres', async () => {
    const m = await confirmedMember();
    const res = await addGoal(m.id, { title: '  Run 5k  ', cadence: { kind: 'times_per_week', times: 3 } });
    expect(res.status).toBe(201);
    expect(res.location).toBe(`/members/${m.id}/goals/${res.body.id}`);
    expect(res.body).toMatchObject({
      id: 1,
      title: 'Run 5k',
      cadence: { kind: 'times_per_week', times: 3 },
      status: 'active',
      currentStreak: 0,
      longestStreak: 0,
      planSource: 'plan.template@1',
    });
    expect(res.body.createdOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(res.body.plan?.milestones.length).toBeGreaterThan(0);
    expect(res.body.plan?.dailyHabits.length).toBeGreaterThan(0);
    expect(res.body.plan?.weeklyTarget).toBeTruthy();

    const row = await waitFor(
      () =>
        t.database.db.query.goals.findFirst({ where: and(eq(goals.memberId, m.id), eq(goals.goalId, 1)) }),
      'the goal row',
    );
    expect(row).toMatchObject({ title: 'Run 5k', status: 'active', planSource: 'plan.template@1' });

    const one = await call<GoalView>('GET', `/members/${m.id}/goals/1`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(res.body);
  });

  it('weekdays are kept in order whatever order they are sent in', async () => {
    const m = await confirmedMember();
    const res = await addGoal(m.id, { title: 'Gym', cadence: { kind: 'weekdays', days: [5, 1, 3] } });
    expect(res.status).toBe(201);
    expect(res.body.cadence).toEqual({ kind: 'weekdays', days: [1, 3, 5] });
  });

  it.each([
    ['a missing title', { cadence: { kind: 'daily' } }, 'title'],
    ['a blank title', { title: '   ', cadence: { kind: 'daily' } }, 'title'],
    ['a title over 80 characters', { title: 'x'.repeat(81), cadence: { kind: 'daily' } }, 'title'],
    ['a missing cadence', { title: 'Read' }, 'cadence'],
    ['an unknown cadence kind', { title: 'Read', cadence: { kind: 'hourly' } }, 'cadence.kind'],
    ['7 times a week', { title: 'Read', cadence: { kind: 'times_per_week', times: 7 } }, 'cadence.times'],
    ['0 times a week', { title: 'Read', cadence: { kind: 'times_per_week', times: 0 } }, 'cadence.times'],
    ['no weekdays', { title: 'Read', cadence: { kind: 'weekdays', days: [] } }, 'cadence.days'],
    ['a repeated weekday', { title: 'Read', cadence: { kind: 'weekdays', days: [1, 1] } }, 'cadence.days'],
    ['weekday 7', { title: 'Read', cadence: { kind: 'weekdays', days: [7] } }, 'cadence.days.0'],
  ])('400 problem+json naming the field for %s', async (_name, body, field) => {
    const m = await memberForValidation();
    const res = await addGoal(m, body);
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect((res.body as unknown as Problem).errors?.[0]?.field).toBe(field);
  });

  it('422 from the workflow for a 4th active goal, naming the field; archiving one makes room', async () => {
    const m = await confirmedMember();
    for (const title of ['Run', 'Read', 'Stretch']) {
      expect((await addGoal(m.id, { title, cadence: { kind: 'daily' } })).status).toBe(201);
    }
    const fourth = await addGoal(m.id, { title: 'Meditate', cadence: { kind: 'daily' } });
    expect(fourth.status).toBe(422);
    expect(fourth.contentType).toContain('application/problem+json');
    const problem = fourth.body as unknown as Problem;
    expect(problem.errors?.[0]?.field).toBe('goals');
    expect(problem.detail).toMatch(/^goals: at most 3 active goals/);

    const archived = await call<GoalView>('DELETE', `/members/${m.id}/goals/2`);
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ id: 2, title: 'Read', status: 'archived' });
    const again = await addGoal(m.id, { title: 'Meditate', cadence: { kind: 'daily' } });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(4);
  });

  it('404 for an unknown member, 400 for a member id that is not a UUID', async () => {
    const res = await addGoal(UNKNOWN, { title: 'Run', cadence: { kind: 'daily' } });
    expect(res.status).toBe(404);
    expect(res.contentType).toContain('application/problem+json');
    const bad = await addGoal('42', { title: 'Run', cadence: { kind: 'daily' } });
    expect(bad.status).toBe(400);
    expect((bad.body as unknown as Problem).errors?.[0]?.field).toBe('id');
  });
});

let validationMember: string | undefined;
/** One member for the validation cases (nothing reaches its workflow). */
async function memberForValidation() {
  validationMember ??= (await confirmedMember()).id;
  return validationMember;
}

describe('GET /members/:id/goals and DELETE /members/:id/goals/:goalId', () => {
  it('lists goals from the workflow; archiving keeps the goal (and is idempotent); status filter', async () => {
    const m = await confirmedMember();
    expect((await call<{ goals: GoalView[] }>('GET', `/members/${m.id}/goals`)).body).toEqual({ goals: [] });
    await addGoal(m.id, { title: 'Run', cadence: { kind: 'daily' } });
    await addGoal(m.id, { title: 'Read', cadence: { kind: 'weekdays', days: [1, 2, 3, 4, 5] } });

    const list = await call<{ goals: GoalView[] }>('GET', `/members/${m.id}/goals`);
    expect(list.status).toBe(200);
    expect(list.body.goals.map((g) => [g.id, g.title, g.status])).toEqual([
      [1, 'Run', 'active'],
      [2, 'Read', 'active'],
    ]);

    const archived = await call<GoalView>('DELETE', `/members/${m.id}/goals/1`);
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ id: 1, status: 'archived', plan: list.body.goals[0]!.plan });
    const repeated = await call<GoalView>('DELETE', `/members/${m.id}/goals/1`);
    expect(repeated.status).toBe(200);
    expect(repeated.body.status).toBe('archived');

    const all = await call<{ goals: GoalView[] }>('GET', `/members/${m.id}/goals`);
    expect(all.body.goals.map((g) => [g.id, g.status])).toEqual([
      [1, 'archived'],
      [2, 'active'],
    ]);
    const active = await call<{ goals: GoalView[] }>('GET', `/members/${m.id}/goals?status=active`);
    expect(active.body.goals.map((g) => g.id)).toEqual([2]);
    await waitFor(
      async () =>
        (
          await t.database.db.query.goals.findFirst({
            where: and(eq(goals.memberId, m.id), eq(goals.goalId, 1)),
          })
        )?.status === 'archived',
      'the archived goal row',
    );
  });

  it('404 for an unknown goal or member; 400 for a goal id that is not a number', async () => {
    const m = await confirmedMember();
    expect((await call('DELETE', `/members/${m.id}/goals/9`)).status).toBe(404);
    expect((await call('GET', `/members/${m.id}/goals/9`)).status).toBe(404);
    expect((await call('GET', `/members/${UNKNOWN}/goals`)).status).toBe(404);
    expect((await call('DELETE', `/members/${UNKNOWN}/goals/1`)).status).toBe(404);
    const bad = await call<Problem>('DELETE', `/members/${m.id}/goals/first`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]?.field).toBe('goalId');
  });
});

describe('goals in the daily prompt', () => {
  it('the prompt numbers the goals; "1 Y 2 N" by SMS records each, and the goals show their streaks', async () => {
    const m = await confirmedMember('UTC', '09:00');
    await addGoal(m.id, { title: 'Run', cadence: { kind: 'daily' } });
    await addGoal(m.id, { title: 'Read', cadence: { kind: 'daily' } });
    const member = await call<{ nextPromptAt: string }>('GET', `/members/${m.id}`);
    await skipTo(t.env, new Date(Date.parse(member.body.nextPromptAt) + 60_000));

    const prompt = await waitFor(
      async () =>
        (
          await t.database.db
            .select()
            .from(messages)
            .where(and(eq(messages.memberId, m.id), eq(messages.kind, 'checkin_prompt')))
        )[0],
      'the check-in prompt',
    );
    expect(prompt.body).toBe(
      promptText([
        { id: 1, title: 'Run' },
        { id: 2, title: 'Read' },
      ]),
    );

    await sandboxInbound(t.app)({
      MessageSid: newMessageSid(),
      From: m.phone,
      To: OUR_NUMBER,
      Body: '1 Y 2 N',
    });
    const rows = await waitFor(async () => {
      const r = await t.database.db.select().from(checkIns).where(eq(checkIns.memberId, m.id));
      return r.length === 2 && r;
    }, 'two check-ins');
    expect(rows.map((r) => [r.goalId, r.status]).sort()).toEqual([
      [1, 'done'],
      [2, 'not_done'],
    ]);
    const list = await call<{ goals: GoalView[] }>('GET', `/members/${m.id}/goals`);
    expect(list.body.goals.map((g) => [g.id, g.currentStreak])).toEqual([
      [1, 1],
      [2, 0],
    ]);
    const progress = await call('GET', `/members/${m.id}/progress`);
    expect(progress.status).toBe(200);
  });
});
