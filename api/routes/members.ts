import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { members } from '../../db/schema.js';
import { memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { isValidTimeZone, parseHHMM } from '../../workflows/lib/time.js';
import { memberWorkflow } from '../../workflows/member.js';
import { memberStateQuery } from '../../workflows/messages.js';
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

const isUniqueViolation = (err: unknown) =>
  (err as { code?: string }).code === '23505' ||
  (err as { cause?: { code?: string } }).cause?.code === '23505';

export function membersRouter({ db, temporal, logger }: AppDeps) {
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
    .get('/:id', validate('param', z.object({ id: z.uuid('must be a member id (UUID)') })), async (c) => {
      const { id } = c.req.valid('param');
      const member = await db.query.members.findFirst({ where: eq(members.id, id) });
      if (!member || member.status === 'erased') {
        throw new HttpProblem({ title: 'Not found', status: 404, detail: `No member ${id}.` });
      }
      // Live state from the workflow; the stored row still answers if Temporal is unreachable.
      const live = await temporal.workflow
        .getHandle(memberWorkflowId(id))
        .query(memberStateQuery)
        .catch((err: unknown) => {
          logger.warn({ memberId: id, err: (err as Error).message }, 'member state query failed');
          return null;
        });
      return c.json(toMemberJson(member, live));
    });
}

function toMemberJson(
  m: typeof members.$inferSelect,
  live: {
    currentStreak: number;
    longestStreak: number;
    lastCheckIn: unknown;
    nextPromptAt: string | null;
  } | null,
) {
  return {
    id: m.id,
    name: m.name,
    phone: m.phone,
    timezone: m.timezone,
    checkInTime: m.checkInTime,
    tone: m.tone,
    status: m.status,
    currentStreak: live?.currentStreak ?? m.currentStreak,
    longestStreak: live?.longestStreak ?? m.longestStreak,
    lastCheckIn: live ? live.lastCheckIn : m.lastCheckInDate ? { localDate: m.lastCheckInDate } : null,
    nextPromptAt: live?.nextPromptAt ?? null,
    createdAt: m.createdAt.toISOString(),
  };
}
