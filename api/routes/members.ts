import { randomUUID } from 'node:crypto';
import { and, desc, eq, lt, or } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { memberProgress } from '../../db/analytics.js';
import { checkIns, inboundMessages, members, messages } from '../../db/schema.js';
import { memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { isValidTimeZone, parseHHMM } from '../../workflows/lib/time.js';
import { memberWorkflow } from '../../workflows/member.js';
import {
  eraseSignal,
  memberStateQuery,
  updatePreferencesUpdate,
  type MemberPreferences,
} from '../../workflows/messages.js';
import { localDate } from '../../workflows/lib/time.js';
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

const createMember = z.object({
  name: z.string().trim().min(1, 'is required').max(100),
  phone: e164,
  timezone,
  checkInTime: hhmm,
  tone: z.enum(['friendly', 'tough_love', 'calm']).default('friendly'),
});

const idParam = z.object({ id: z.uuid('must be a member id (UUID)') });
const localDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a local date YYYY-MM-DD');
const updateMember = z
  .object({ timezone, checkInTime: hhmm, tone: z.enum(['friendly', 'tough_love', 'calm']) })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: 'send at least one of timezone, checkInTime, tone' });

const isUniqueViolation = (err: unknown) =>
  (err as { code?: string }).code === '23505' ||
  (err as { cause?: { code?: string } }).cause?.code === '23505';

export function membersRouter({ db, temporal, logger }: AppDeps) {
  async function requireMember(id: string) {
    const member = await db.query.members.findFirst({ where: eq(members.id, id) });
    if (!member || member.status === 'erased')
      throw new HttpProblem({ title: 'Not found', status: 404, detail: `No member ${id}.` });
    return member;
  }
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

  return new Hono()
    .post('/', validate('json', createMember), async (c) => {
      const input = c.req.valid('json');
      const id = randomUUID();
      const workflowId = memberWorkflowId(id);
      try {
        // Row and workflow together: if the workflow cannot be started the row is rolled back.
        const member = await db.transaction(async (tx) => {
          const [row] = await tx
            .insert(members)
            .values({ id, ...input })
            .returning();
          await temporal.workflow.start(memberWorkflow, {
            taskQueue: TASK_QUEUE,
            workflowId,
            args: [{ memberId: id, timezone: input.timezone, checkInTime: input.checkInTime }],
            staticSummary: `Member ${id}`,
            staticDetails: `Daily check-in at ${input.checkInTime} ${input.timezone}`,
          });
          return row!;
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
      const prefs: MemberPreferences = {};
      if (body.timezone) prefs.timezone = body.timezone;
      if (body.checkInTime) prefs.checkInTime = body.checkInTime;
      // The workflow validates and re-arms its timer; only then is the row changed.
      const live = prefs.timezone || prefs.checkInTime ? await updateWorkflow(id, prefs) : null;
      const [row] = await db
        .update(members)
        .set({ ...body, updatedAt: new Date() })
        .where(eq(members.id, id))
        .returning();
      return c.json(toMemberJson(row!, live ?? (await queryLive(id))));
    })
    .post(
      '/:id/pause',
      validate('param', idParam),
      validate('json', z.object({ until: localDay })),
      async (c) => {
        const { id } = c.req.valid('param');
        await requireMember(id);
        const live = await updateWorkflow(id, { pausedUntil: c.req.valid('json').until });
        const [row] = await db
          .update(members)
          .set({ status: 'paused', updatedAt: new Date() })
          .where(eq(members.id, id))
          .returning();
        return c.json(toMemberJson(row!, live));
      },
    )
    .post('/:id/resume', validate('param', idParam), async (c) => {
      const { id } = c.req.valid('param');
      await requireMember(id);
      const live = await updateWorkflow(id, { pausedUntil: null });
      const [row] = await db
        .update(members)
        .set({ status: live.status === 'opted_out' ? 'opted_out' : 'active', updatedAt: new Date() })
        .where(eq(members.id, id))
        .returning();
      return c.json(toMemberJson(row!, live));
    })
    .delete('/:id', validate('param', idParam), async (c) => {
      const { id } = c.req.valid('param');
      const member = await requireMember(id);
      // Erasure: the member's personal data goes (profile, check-ins and reflections, texts in and out); the
      // consent ledger and suppression list keep the number, as the law requires to honour an opt-out.
      await db.transaction(async (tx) => {
        await tx.delete(messages).where(or(eq(messages.memberId, id), eq(messages.toPhone, member.phone)));
        await tx
          .delete(inboundMessages)
          .where(or(eq(inboundMessages.memberId, id), eq(inboundMessages.fromPhone, member.phone)));
        await tx.delete(members).where(eq(members.id, id)); // check-ins and AI usage cascade
      });
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
        z.object({ limit: z.coerce.number().int().min(1).max(100).default(30), before: localDay.optional() }),
      ),
      async (c) => {
        const { id } = c.req.valid('param');
        const q = c.req.valid('query');
        await requireMember(id);
        const rows = await db
          .select()
          .from(checkIns)
          .where(and(eq(checkIns.memberId, id), q.before ? lt(checkIns.localDate, q.before) : undefined))
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
          nextBefore: rows.length === q.limit ? rows[rows.length - 1]!.localDate : null,
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

function toMemberJson(
  m: typeof members.$inferSelect,
  live: {
    currentStreak: number;
    longestStreak: number;
    lastCheckIn: unknown;
    nextPromptAt: string | null;
    pausedUntil?: string | null;
    status?: string;
  } | null,
) {
  return {
    id: m.id,
    name: m.name,
    phone: m.phone,
    timezone: m.timezone,
    checkInTime: m.checkInTime,
    tone: m.tone,
    status: live?.status ?? m.status,
    currentStreak: live?.currentStreak ?? m.currentStreak,
    longestStreak: live?.longestStreak ?? m.longestStreak,
    lastCheckIn: live ? live.lastCheckIn : m.lastCheckInDate ? { localDate: m.lastCheckInDate } : null,
    nextPromptAt: live?.nextPromptAt ?? null,
    pausedUntil: live?.pausedUntil ?? null,
    createdAt: m.createdAt.toISOString(),
  };
}
