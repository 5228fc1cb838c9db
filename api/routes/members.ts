import { randomUUID } from 'node:crypto';
import { and, desc, eq, ne, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { memberProgress } from '../../db/analytics.js';
import { eraseMember, insertMember, setMemberStatus, updateMemberProfile } from '../../db/members.js';
import { checkIns, members } from '../../db/schema.js';
import { DEFAULT_MEMBER_SETTINGS } from '../../worker/config.js';
import { memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { isValidTimeZone, parseHHMM } from '../../workflows/lib/time.js';
import { memberWorkflow } from '../../workflows/member/workflow.js';
import {
  eraseSignal,
  memberStateQuery,
  updatePreferencesUpdate,
  type MemberPreferences,
  type MemberSnapshot,
} from '../../workflows/member/definitions.js';
import { MEMBER_ID_SA, MEMBER_STATUS_SA, RISK_LEVEL_SA } from '../../workflows/member/search-attributes.js';
import { localDate } from '../../workflows/lib/time.js';
import type { Db } from '../../db/client.js';
import type { AppDeps } from '../app.js';
import { HttpProblem, validate } from '../problem.js';

export const e164 = z
  .string()
  .regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 phone number such as +14155550123');
export const timezone = z
  .string()
  .refine(isValidTimeZone, 'must be an IANA time zone such as America/New_York');
export const hhmm = z
  .string()
  .refine((s) => parseHHMM(s) !== null, 'must be a local time "HH:MM" (00:00–23:59)');

const tone = z.enum(['friendly', 'tough_love', 'calm']);
const createMember = z.object({
  name: z.string().trim().min(1, 'is required').max(100),
  phone: e164,
  timezone,
  checkInTime: hhmm,
  tone: tone.default('friendly'),
});

export const idParam = z.object({ id: z.uuid('must be a member id (UUID)') });
const localDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a local date YYYY-MM-DD');
/** Check-ins page cursor: `YYYY-MM-DD.<goal id>` (the `nextBefore` of the previous page); a bare date = all of it. */
const checkInCursor = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}(\.\d{1,9})?$/, 'must be the nextBefore of the previous page (or a local date)')
  .transform((v) => {
    const [localDate, goal] = v.split('.');
    return { localDate: localDate!, goalId: goal === undefined ? -1 : Number(goal) };
  });
const updateMember = z
  .object({
    timezone,
    checkInTime: hhmm,
    tone,
    nudgeAfterMinutes: z
      .number()
      .int('must be a whole number of minutes')
      .min(0, 'must be 0 (no reminder) or more')
      .max(24 * 60, 'must be at most 1440 (a day)'),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, {
    message: 'send at least one of timezone, checkInTime, tone, nudgeAfterMinutes',
  });
const listMembers = z.object({
  risk: z.enum(['low', 'medium', 'high']).optional(),
  status: z.enum(['pending_confirmation', 'active', 'paused', 'opted_out']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  /** Cursor: the `nextBefore` of the previous page (a member id). */
  before: z.uuid('must be the nextBefore of the previous page').optional(),
});

/** The member row (404 problem if there is none or it was erased). */
export async function requireMemberRow(db: Db, id: string) {
  const member = await db.query.members.findFirst({ where: eq(members.id, id) });
  if (!member || member.status === 'erased')
    throw new HttpProblem({ title: 'Not found', status: 404, detail: `No member ${id}.` });
  return member;
}

/** The row's lifecycle status as the workflow reports it ('erased' never overwrites a row: it is deleted). */
const rowStatus = (live: MemberSnapshot): Exclude<typeof members.$inferSelect.status, 'erased'> =>
  live.status === 'erased' ? 'active' : live.status;

const isUniqueViolation = (err: unknown) =>
  (err as { code?: string }).code === '23505' ||
  (err as { cause?: { code?: string } }).cause?.code === '23505';

export function membersRouter({ db, temporal, logger, config }: AppDeps) {
  const settings = config.members ?? DEFAULT_MEMBER_SETTINGS;
  const requireMember = (id: string) => requireMemberRow(db, id);
  /** A Temporal update: the workflow validates (→ 422 with its reason) and answers with its new state. */
  const updateWorkflow = (id: string, prefs: MemberPreferences) =>
    temporal.workflow
      .getHandle(memberWorkflowId(id))
      .executeUpdate(updatePreferencesUpdate, { args: [prefs] });
  const queryLive = (id: string) =>
    temporal.workflow
      .getHandle(memberWorkflowId(id))
      .query(memberStateQuery)
      .catch((err: unknown) => {
        logger.warn({ memberId: id, err: (err as Error).message }, 'member state query failed');
        return null;
      });

  /** Pause through a local date (null = resume): the workflow decides, the row mirrors its status. */
  async function setPause(id: string, until: string | null) {
    await requireMember(id);
    const live = await updateWorkflow(id, { pausedUntil: until });
    const row = await setMemberStatus(db, id, rowStatus(live));
    return toMemberJson(row!, live);
  }

  return new Hono()
    .get('/', validate('query', listMembers), async (c) => {
      // From Postgres (status and risk level are mirrored there by the member workflow's activities).
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(members)
        .where(
          and(
            ne(members.status, 'erased'),
            q.risk ? eq(members.riskLevel, q.risk) : undefined,
            q.status ? eq(members.status, q.status) : undefined,
            q.before
              ? sql`(${members.createdAt}, ${members.id}) < (select m.created_at, m.id from members m where m.id = ${q.before})`
              : undefined,
          ),
        )
        .orderBy(desc(members.createdAt), desc(members.id))
        .limit(q.limit);
      return c.json({
        members: rows.map((m) => ({
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
        nextBefore: rows.length === q.limit ? rows[rows.length - 1]!.id : null,
      });
    })
    .post('/', validate('json', createMember), async (c) => {
      const input = c.req.valid('json');
      const id = randomUUID();
      const workflowId = memberWorkflowId(id);
      try {
        // Row and workflow together: if the workflow cannot be started the row is rolled back.
        const member = await db.transaction(async (tx) => {
          const row = await insertMember(tx, { id, ...input, status: 'pending_confirmation' });
          // A welcome text asks "Reply YES to start"; nothing else is sent until the member confirms.
          await temporal.workflow.start(memberWorkflow, {
            taskQueue: TASK_QUEUE,
            workflowId,
            args: [
              {
                memberId: id,
                timezone: input.timezone,
                checkInTime: input.checkInTime,
                tone: input.tone,
                onboarding: true,
                maxActiveGoals: settings.maxActiveGoals,
                nudgeAfterMinutes: settings.nudgeAfterMinutes,
              },
            ],
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
    .patch('/:id', validate('param', idParam), validate('json', updateMember), async (c) => {
      const { id } = c.req.valid('param');
      const body = c.req.valid('json');
      await requireMember(id);
      const { nudgeAfterMinutes, ...rowFields } = body;
      const prefs: MemberPreferences = { ...rowFields };
      if (nudgeAfterMinutes !== undefined) prefs.nudgeAfterMinutes = nudgeAfterMinutes;
      // The workflow (which holds the tone and the nudge delay) validates and re-arms its timers; only then
      // is the row changed.
      const live = await updateWorkflow(id, prefs);
      const row = await updateMemberProfile(db, id, rowFields);
      return c.json(toMemberJson(row!, live));
    })
    .post(
      '/:id/pause',
      validate('param', idParam),
      validate('json', z.object({ until: localDay })),
      async (c) => c.json(await setPause(c.req.valid('param').id, c.req.valid('json').until)),
    )
    .post('/:id/resume', validate('param', idParam), async (c) =>
      c.json(await setPause(c.req.valid('param').id, null)),
    )
    .delete('/:id', validate('param', idParam), async (c) => {
      const { id } = c.req.valid('param');
      const member = await requireMember(id);
      // Erasure: the member's personal data goes (profile, check-ins and reflections, texts in and out); the
      // consent ledger and suppression list keep the number, as the law requires to honour an opt-out.
      await eraseMember(db, member); // check-ins and AI usage cascade
      await temporal.workflow
        .getHandle(memberWorkflowId(id))
        .signal(eraseSignal)
        .catch((err: unknown) =>
          logger.warn({ memberId: id, err: (err as Error).message }, 'erase signal not delivered'),
        );
      logger.info({ memberId: id }, 'member erased');
      return c.body(null, 204);
    })
    .get(
      '/:id/check-ins',
      validate('param', idParam),
      validate(
        'query',
        z.object({
          limit: z.coerce.number().int().min(1).max(100).default(30),
          before: checkInCursor.optional(),
        }),
      ),
      async (c) => {
        const { id } = c.req.valid('param');
        const q = c.req.valid('query');
        await requireMember(id);
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
        return c.json({
          checkIns: rows.map((r) => ({
            localDate: r.localDate,
            goalId: r.goalId,
            status: r.status,
            reflection: r.reflection,
            mood: r.mood,
            recordedAt: r.recordedAt.toISOString(),
          })),
          nextBefore:
            rows.length === q.limit
              ? `${rows[rows.length - 1]!.localDate}.${rows[rows.length - 1]!.goalId}`
              : null,
        });
      },
    )
    .get('/:id/progress', validate('param', idParam), async (c) => {
      const { id } = c.req.valid('param');
      const member = await requireMember(id);
      const progress = await memberProgress(db, id, localDate(Date.now(), member.timezone));
      return c.json(progress);
    })
    .get('/:id', validate('param', idParam), async (c) => {
      const { id } = c.req.valid('param');
      const member = await requireMember(id);
      // Live state from the workflow; the stored row still answers if Temporal is unreachable.
      return c.json(toMemberJson(member, await queryLive(id)));
    });
}

function toMemberJson(m: typeof members.$inferSelect, live: MemberSnapshot | null) {
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
