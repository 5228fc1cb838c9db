import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Context } from 'hono';
import { and, desc, eq, ne, sql } from 'drizzle-orm';
import { memberProgress } from '../../db/analytics.js';
import type { Db } from '../../db/client.js';
import { challengeIdsOfMember } from '../../db/crews.js';
import { matchIdsOfMember, mentorIdsOfMember } from '../../db/mentorship.js';
import { otherSubjectsOfMember } from '../../db/erasure.js';
import { eraseMember, insertMember, setMemberStatus, updateMemberProfile } from '../../db/members.js';
import { checkIns, members } from '../../db/schema.js';
import { identityOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { page } from '../pagination.js';
import { HttpProblem } from '../problem.js';
import {
  e164,
  hhmm,
  isRealDate,
  limit,
  localDate,
  MAX_INT_ID,
  memberIdParam,
  text,
  timeZone,
  uuid,
} from '../schemas/atoms.js';
import {
  CHECK_IN_STATUSES,
  ERASURE_WORKFLOW_TYPE,
  erasureWorkflowId,
  type ErasureInput,
  localDateOf,
  MEMBER_DEFAULTS,
  MEMBER_ID_SA,
  MEMBER_STATUS_SA,
  MEMBER_STATUSES,
  MEMBER_WORKFLOW_TYPE,
  memberStateQuery,
  memberWorkflowId,
  RISK_LEVEL_SA,
  RISK_LEVELS,
  TASK_QUEUE,
  TONES,
  updatePreferencesUpdate,
  type MemberPreferences,
  type MemberSnapshot,
  type MemberWorkflowInput,
  TWILIO_MODE_CONFIRM_WORD,
} from '../workflows.js';

// ---- request schemas

const tone = z.enum(TONES);
const CreateMember = z
  .object({
    name: text(100),
    phone: e164,
    timezone: timeZone,
    checkInTime: hhmm,
    tone: tone.default(MEMBER_DEFAULTS.tone),
  })
  .openapi('CreateMember');

/** What a member's settings change may set (PATCH /members/{id}; strict for PATCH /me). */
export const UPDATE_MEMBER_FIELDS = {
  timezone: timeZone,
  checkInTime: hhmm,
  tone,
  nudgeAfterMinutes: z
    .number()
    .int('must be a whole number of minutes')
    .min(0, 'must be 0 (no reminder) or more')
    .max(24 * 60, 'must be at most 1440 (a day)'),
};
export const atLeastOneUpdate = [
  (b: object) => Object.keys(b).length > 0,
  { message: 'send at least one of timezone, checkInTime, tone, nudgeAfterMinutes' },
] as const;

const UpdateMember = z
  .object(UPDATE_MEMBER_FIELDS)
  .partial()
  .refine(...atLeastOneUpdate)
  .openapi('UpdateMember', { minProperties: 1 });

const ListMembersQuery = z.strictObject({
  risk: z.enum(RISK_LEVELS).optional(),
  status: z.enum(MEMBER_STATUSES.filter((s) => s !== 'erased') as [string, ...string[]]).optional(),
  limit: limit(50, 100),
  /** Cursor: the `nextBefore` of the previous page (a member id). */
  before: uuid('the nextBefore of the previous page').optional(),
});

/** Check-ins page cursor: `YYYY-MM-DD.<goal id>` (the `nextBefore` of the previous page); a bare date = all of it. */
const CHECK_IN_CURSOR = /^(\d{4}-\d{2}-\d{2})(?:\.(\d{1,10}))?$/;
const checkInCursor = z
  .string()
  .refine((v) => {
    const m = CHECK_IN_CURSOR.exec(v);
    return m !== null && isRealDate(m[1]!) && (m[2] === undefined || Number(m[2]) <= MAX_INT_ID);
  }, 'must be the nextBefore of the previous page (or a local date)')
  .transform((v) => {
    const [, day, goal] = CHECK_IN_CURSOR.exec(v)!;
    return { localDate: day!, goalId: goal === undefined ? -1 : Number(goal) };
  })
  .openapi({
    type: 'string',
    pattern: CHECK_IN_CURSOR.source,
    description: 'the nextBefore of the previous page (`YYYY-MM-DD.<goal id>`), or a local date',
  });

/** Longest pause: a year (the workflow walks the paused days; a pause until the year 8201 is a typo, not a plan). */
export const MAX_PAUSE_DAYS = 366;
const pauseUntil = localDate.refine((d) => {
  // A day past the horizon in UTC covers every zone (no zone is more than a day ahead of UTC).
  const horizon = new Date(Date.now() + (MAX_PAUSE_DAYS + 1) * 86_400_000).toISOString().slice(0, 10);
  return d <= horizon;
}, `must be at most ${MAX_PAUSE_DAYS} days from today`);

export const CheckInsQuery = z.strictObject({ limit: limit(30, 100), before: checkInCursor.optional() });

// ---- response schemas

/** What the stored profile says: shared by the list item and the full member. */
const MemberProfile = z.object({
  id: z.string(),
  name: z.string(),
  phone: z.string(),
  timezone: z.string(),
  checkInTime: z.string(),
  tone: z.enum(TONES),
  status: z.enum(MEMBER_STATUSES),
  risk: z.enum(RISK_LEVELS),
  currentStreak: z.number().int(),
  longestStreak: z.number().int(),
});

const MemberListItem = MemberProfile.extend({
  lastCheckInDate: z.string().nullable(),
  createdAt: z.string(),
}).openapi('MemberListItem');

export const MemberJson = MemberProfile.extend({
  lastCheckIn: z.object({ localDate: z.string(), status: z.enum(CHECK_IN_STATUSES).optional() }).nullable(),
  nextPromptAt: z.string().nullable(),
  nextWeeklySummaryAt: z.string().nullable(),
  nudgeAfterMinutes: z.number().int().nullable(),
  pausedUntil: z.string().nullable(),
  openPrompt: z
    .object({
      localDate: z.string(),
      goalIds: z.array(z.number().int()),
      nudgeAt: z.string().nullable(),
    })
    .nullable(),
  createdAt: z.string(),
}).openapi('Member', {
  description: 'A member: the stored profile and, while Temporal answers, live workflow state',
});

export const CheckInJson = z
  .object({
    localDate: z.string(),
    goalId: z.number().int(),
    status: z.enum(CHECK_IN_STATUSES),
    reflection: z.string().nullable(),
    mood: z.number().int().nullable(),
    recordedAt: z.string(),
  })
  .openapi('CheckIn');

export const ProgressJson = z
  .object({
    memberId: z.string(),
    today: z.string(),
    currentStreak: z.number().int(),
    longestStreak: z.number().int(),
    adherence: z.object({
      d7: z.number().nullable(),
      d30: z.number().nullable(),
      d90: z.number().nullable(),
    }),
    consecutiveMisses: z.number().int(),
    risk: z.enum(RISK_LEVELS),
    weeks: z.array(z.object({ weekStart: z.string(), done: z.number().int(), due: z.number().int() })),
  })
  .openapi('Progress');

// ---- routes

const tags = ['Members'];
const memberRoute = { tags, request: { params: memberIdParam } } as const;

const listRoute = createRoute({
  method: 'get',
  path: '/',
  tags,
  summary: 'List members (newest first)',
  request: { query: ListMembersQuery },
  responses: {
    200: jsonResponse(
      z.object({ members: z.array(MemberListItem), nextBefore: z.string().nullable() }),
      'A page of members; pass nextBefore as before for the next one',
    ),
    ...problems(),
  },
});

const createMemberRoute = createRoute({
  method: 'post',
  path: '/',
  tags,
  summary: 'Create a member and start their workflow (a welcome text asks them to reply YES)',
  request: { body: jsonBody(CreateMember) },
  responses: {
    201: {
      ...jsonResponse(MemberJson, 'Created'),
      headers: z.object({ location: z.string().openapi({ description: '/members/<id>' }) }),
    },
    ...problems(409, 503, ...BODY_PROBLEMS),
  },
});

const updateRoute = createRoute({
  ...memberRoute,
  method: 'patch',
  path: '/{id}',
  summary: 'Change zone, check-in time, tone or nudge delay (a workflow update: timers re-armed at once)',
  request: { ...memberRoute.request, body: jsonBody(UpdateMember) },
  responses: {
    200: jsonResponse(MemberJson, 'The member after the change'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});

const pauseRoute = createRoute({
  ...memberRoute,
  method: 'post',
  path: '/{id}/pause',
  summary: 'Pause through a local date: no prompts, no misses, streak kept',
  request: { ...memberRoute.request, body: jsonBody(z.object({ until: pauseUntil }).openapi('Pause')) },
  responses: {
    200: jsonResponse(MemberJson, 'The paused member'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});

const resumeRoute = createRoute({
  ...memberRoute,
  method: 'post',
  path: '/{id}/resume',
  summary: 'End a pause now',
  responses: { 200: jsonResponse(MemberJson, 'The resumed member'), ...problems(404, 422, 503) },
});

const eraseRoute = createRoute({
  ...memberRoute,
  method: 'delete',
  path: '/{id}',
  summary:
    'Erase a member: profile, check-ins, texts and AI usage deleted; consent ledger kept; workflow ends',
  description:
    "The member's rows go at once, replaced by a minimal erasure record (date, who asked, a keyed hash of the " +
    'number: an opt-out survives). A durable erasure workflow then removes them from every crew challenge, ends ' +
    'their mentorship matches (the other side is told, without detail), their own workflow and shreds their data key (`erasure-{id}`; the record notes each step done).',
  responses: {
    204: {
      description: 'Erased; the erasure workflow finishes the job',
      headers: {
        'Erasure-Id': { description: 'The erasure record id', schema: { type: 'string', format: 'uuid' } },
      },
    },
    ...problems(404),
  },
});

const checkInsRoute = createRoute({
  ...memberRoute,
  method: 'get',
  path: '/{id}/check-ins',
  summary: "The member's check-ins, newest first",
  request: { ...memberRoute.request, query: CheckInsQuery },
  responses: {
    200: jsonResponse(
      z.object({ checkIns: z.array(CheckInJson), nextBefore: z.string().nullable() }),
      'A page of check-ins; pass nextBefore as before for the next one',
    ),
    ...problems(404),
  },
});

const progressRoute = createRoute({
  ...memberRoute,
  method: 'get',
  path: '/{id}/progress',
  summary: 'Adherence over 7/30/90 days, streaks, consecutive misses, risk, weekly aggregates',
  responses: { 200: jsonResponse(ProgressJson, 'Progress'), ...problems(404) },
});

const getRoute = createRoute({
  ...memberRoute,
  method: 'get',
  path: '/{id}',
  summary: 'One member: profile, status, risk, streak, next prompt (live from the workflow)',
  responses: { 200: jsonResponse(MemberJson, 'The member'), ...problems(404) },
});

// ---- handlers (the /me routes of api/routes/me.ts reuse them for the signed-in member)

/** The member workflow's live state, or null when Temporal does not answer (the stored row answers then). */
export function liveMemberState(deps: Pick<AppDeps, 'temporal' | 'logger'>, id: string) {
  return deps.temporal.workflow
    .getHandle(memberWorkflowId(id))
    .query(memberStateQuery)
    .catch((err: unknown) => {
      deps.logger.warn({ memberId: id, errorName: (err as Error).name }, 'member state query failed');
      return null;
    });
}

/** Changes a member's zone, check-in time, tone or nudge delay; answers the member after the change. */
export async function updateMemberSettings(
  deps: Pick<AppDeps, 'db' | 'temporal'>,
  id: string,
  body: Partial<{
    timezone: string;
    checkInTime: string;
    tone: MemberPreferences['tone'];
    nudgeAfterMinutes: number;
  }>,
) {
  await requireMemberRow(deps.db, id);
  const { nudgeAfterMinutes, ...rowFields } = body;
  const prefs: MemberPreferences = { ...rowFields };
  if (nudgeAfterMinutes !== undefined) prefs.nudgeAfterMinutes = nudgeAfterMinutes;
  // The workflow (which holds the tone and the nudge delay) validates and re-arms its timers; only then
  // is the row changed.
  const live = await deps.temporal.workflow
    .getHandle(memberWorkflowId(id))
    .executeUpdate(updatePreferencesUpdate, { args: [prefs] });
  const row = await updateMemberProfile(deps.db, id, rowFields);
  if (!row) throw gone(id); // erased meanwhile
  return toMemberJson(row, live);
}

/** A page of the member's check-ins, newest first. */
export async function checkInsPage(db: Db, id: string, q: z.infer<typeof CheckInsQuery>) {
  const rows = await db
    .select()
    .from(checkIns)
    .where(
      and(
        eq(checkIns.memberId, id),
        q.before
          ? sql`(${checkIns.localDate}, ${checkIns.goalId}) < (${q.before.localDate}::date, ${q.before.goalId})`
          : undefined,
      ),
    )
    .orderBy(desc(checkIns.localDate), desc(checkIns.goalId))
    .limit(q.limit);
  const { items, nextBefore } = page(rows, q.limit, (r) => `${r.localDate}.${r.goalId}`);
  return {
    checkIns: items.map((r) => ({
      localDate: r.localDate,
      goalId: r.goalId,
      status: r.status,
      reflection: r.reflection,
      mood: r.mood,
      recordedAt: r.recordedAt.toISOString(),
    })),
    nextBefore,
  };
}

const gone = (id: string) => new HttpProblem({ title: 'Not found', status: 404, detail: `No member ${id}.` });

/**
 * Erase a member (issue 12 §2), for `DELETE /members/{id}` and `POST /privacy/erasures` by the member's number.
 * The durable part starts first: `erasure-<id>` tells every crew challenge and the member's own workflow to drop
 * them, erases the rows if this request dies before it does, and shreds their data key last. Then the rows go
 * here, in one transaction with the minimal erasure record (a keyed hash of the number, so an opt-out survives).
 * The record's id is the member's: a repeated request is the same one. Returns the erasure id.
 */
export async function eraseMemberNow(
  { db, temporal, logger }: Pick<AppDeps, 'db' | 'temporal' | 'logger'>,
  id: string,
  requestedBy: string,
): Promise<string> {
  const input: ErasureInput = {
    erasureId: id,
    memberId: id,
    requestedBy,
    challengeIds: await challengeIdsOfMember(db, id),
    matchIds: await matchIdsOfMember(db, id),
    mentorIds: await mentorIdsOfMember(db, id),
    subjects: await otherSubjectsOfMember(db, id),
  };
  await temporal.workflow
    .start(ERASURE_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: erasureWorkflowId(id),
      args: [input],
    })
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    });
  await eraseMember(db, { memberId: id, erasureId: id, requestedBy: input.requestedBy });
  logger.info({ memberId: id }, 'member erased');
  return id;
}

/** Who asked for an erasure, as the erasure record names it: `<kind>:<id>` of the API key or signed-in person. */
export function requesterOf(c: Context): string {
  const who = identityOf(c);
  if (!who) return 'unknown';
  return who.kind === 'member' ? `member:${who.memberId}` : `${who.kind}:${who.id}`;
}

/** The member row (404 problem if there is none or it was erased). */
export async function requireMemberRow(db: Db, id: string) {
  const member = await db.query.members.findFirst({ where: eq(members.id, id) });
  if (!member || member.status === 'erased') throw gone(id);
  return member;
}

/** The row's lifecycle status as the workflow reports it ('erased' never overwrites a row: it is deleted). */
const rowStatus = (live: MemberSnapshot): Exclude<typeof members.$inferSelect.status, 'erased'> =>
  live.status === 'erased' ? 'active' : live.status;

const isUniqueViolation = (err: unknown) =>
  (err as { code?: string }).code === '23505' ||
  (err as { cause?: { code?: string } }).cause?.code === '23505';

export function membersRouter({ db, temporal, logger, config }: AppDeps) {
  const settings = config.members ?? MEMBER_DEFAULTS;
  const requireMember = (id: string) => requireMemberRow(db, id);
  /** A Temporal update: the workflow validates (→ 422 naming the field) and answers with its new state. */
  const updateWorkflow = (id: string, prefs: MemberPreferences) =>
    temporal.workflow
      .getHandle(memberWorkflowId(id))
      .executeUpdate(updatePreferencesUpdate, { args: [prefs] });
  const queryLive = (id: string) => liveMemberState({ temporal, logger }, id);

  /** Pause through a local date (null = resume): the workflow decides, the row mirrors its status. */
  async function setPause(id: string, until: string | null) {
    await requireMember(id);
    const live = await updateWorkflow(id, { pausedUntil: until });
    const row = await setMemberStatus(db, id, rowStatus(live));
    if (!row) throw gone(id); // erased meanwhile
    return toMemberJson(row, live);
  }

  return createRouter()
    .openapi(listRoute, async (c) => {
      // From Postgres (status and risk level are mirrored there by the member workflow's activities).
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(members)
        .where(
          and(
            ne(members.status, 'erased'),
            q.risk ? eq(members.riskLevel, q.risk) : undefined,
            q.status ? eq(members.status, q.status as 'active') : undefined,
            q.before
              ? sql`(${members.createdAt}, ${members.id}) < (select m.created_at, m.id from members m where m.id = ${q.before})`
              : undefined,
          ),
        )
        .orderBy(desc(members.createdAt), desc(members.id))
        .limit(q.limit);
      const { items, nextBefore } = page(rows, q.limit, (m) => m.id);
      return c.json(
        {
          members: items.map((m) => ({
            id: m.id,
            name: m.name,
            phone: m.phone,
            timezone: m.timezone,
            checkInTime: m.checkInTime,
            tone: m.tone,
            status: m.status,
            risk: m.riskLevel,
            currentStreak: m.currentStreak,
            longestStreak: m.longestStreak,
            lastCheckInDate: m.lastCheckInDate,
            createdAt: m.createdAt.toISOString(),
          })),
          nextBefore,
        },
        200,
      );
    })
    .openapi(createMemberRoute, async (c) => {
      const input = c.req.valid('json');
      const id = randomUUID();
      const workflowId = memberWorkflowId(id);
      try {
        // Row and workflow together: if the workflow cannot be started the row is rolled back.
        const member = await db.transaction(async (tx) => {
          const row = await insertMember(tx, { id, ...input, status: 'pending_confirmation' });
          // A welcome text asks "Reply YES to start"; nothing else is sent until the member confirms.
          const args: [MemberWorkflowInput] = [
            {
              memberId: id,
              timezone: input.timezone,
              checkInTime: input.checkInTime,
              tone: input.tone,
              onboarding: true,
              // Twilio answers YES itself (a default opt-in keyword) when it manages opt-outs: ask for a word
              // it does not act on, so the member gets one answer (YES still confirms).
              ...(config.optOutManagedBy === 'twilio' && { confirmWord: TWILIO_MODE_CONFIRM_WORD }),
              maxActiveGoals: settings.maxActiveGoals,
              nudgeAfterMinutes: settings.nudgeAfterMinutes,
            },
          ];
          await temporal.workflow.start(MEMBER_WORKFLOW_TYPE, {
            taskQueue: TASK_QUEUE,
            workflowId,
            args,
            typedSearchAttributes: [
              { key: MEMBER_ID_SA, value: id },
              { key: MEMBER_STATUS_SA, value: 'pending_confirmation' },
              { key: RISK_LEVEL_SA, value: 'low' },
            ],
            staticSummary: `Member ${id}`,
            staticDetails: `Daily check-in at ${input.checkInTime} ${input.timezone}`,
          });
          return row;
        });
        logger.info({ memberId: id }, 'member created');
        return c.json(toMemberJson(member, null), 201, { location: `/members/${id}` });
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new HttpProblem({
            title: 'Conflict',
            status: 409,
            detail: 'A member with this phone number already exists.',
            errors: [{ field: 'phone', message: 'is already registered' }],
          });
        }
        throw err;
      }
    })
    .openapi(updateRoute, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(await updateMemberSettings({ db, temporal }, id, c.req.valid('json')), 200);
    })
    .openapi(pauseRoute, async (c) =>
      c.json(await setPause(c.req.valid('param').id, c.req.valid('json').until), 200),
    )
    .openapi(resumeRoute, async (c) => c.json(await setPause(c.req.valid('param').id, null), 200))
    .openapi(eraseRoute, async (c) => {
      const { id } = c.req.valid('param');
      await requireMember(id);
      await eraseMemberNow({ db, temporal, logger }, id, requesterOf(c));
      c.header('Erasure-Id', id);
      return c.body(null, 204);
    })
    .openapi(checkInsRoute, async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      await requireMember(id);
      return c.json(await checkInsPage(db, id, q), 200);
    })
    .openapi(progressRoute, async (c) => {
      const { id } = c.req.valid('param');
      const member = await requireMember(id);
      const progress = await memberProgress(db, id, localDateOf(Date.now(), member.timezone));
      if (!progress) throw gone(id);
      return c.json(progress, 200);
    })
    .openapi(getRoute, async (c) => {
      const { id } = c.req.valid('param');
      const member = await requireMember(id);
      // Live state from the workflow; the stored row still answers if Temporal is unreachable.
      return c.json(toMemberJson(member, await queryLive(id)), 200);
    });
}

export function toMemberJson(m: typeof members.$inferSelect, live: MemberSnapshot | null) {
  return {
    id: m.id,
    name: m.name,
    phone: m.phone,
    timezone: m.timezone,
    checkInTime: m.checkInTime,
    tone: live?.tone ?? m.tone,
    status: live?.status ?? m.status,
    risk: live?.risk ?? m.riskLevel,
    currentStreak: live?.currentStreak ?? m.currentStreak,
    longestStreak: live?.longestStreak ?? m.longestStreak,
    lastCheckIn: live ? live.lastCheckIn : m.lastCheckInDate ? { localDate: m.lastCheckInDate } : null,
    nextPromptAt: live?.nextPromptAt ?? null,
    nextWeeklySummaryAt: live?.nextWeeklySummaryAt ?? null,
    nudgeAfterMinutes: live?.nudgeAfterMinutes ?? null,
    pausedUntil: live?.pausedUntil ?? null,
    openPrompt: live?.openPrompt ?? null,
    createdAt: m.createdAt.toISOString(),
  };
}
