/**
 * Privacy (issue 12): `POST /privacy/exports` answers "send me my data" for a member (by id or phone), a mentor
 * (a member with a mentor profile) or a guest (by phone): everything Crewline holds, machine-readable JSON,
 * streamed section by section, plus the workflows that hold the person and their decoded state.
 * `POST /privacy/erasures` erases whatever Crewline holds for a number (a member as `DELETE /members/{id}` does;
 * otherwise a guest), and `GET /privacy/erasures/{id}` shows how far an erasure got. Admin only (no rule in
 * api/auth.ts names `/privacy`).
 */
import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Db } from '../../db/client.js';
import {
  erasePhone,
  findErasure,
  guestHoldingsOfPhone,
  newestErasureOfPhone,
  phoneHoldsData,
} from '../../db/erasure.js';
import { ERASURE_STATUSES, ERASURE_STEPS, type Erasure } from '../../db/erasure-schema.js';
import { findMemberByPhone } from '../../db/members.js';
import {
  exportSections,
  findExportSubject,
  HOLDER_ROLES,
  workflowsHolding,
  type ExportSubject,
} from '../../db/export.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { e164, uuid } from '../schemas/atoms.js';
import {
  matchStateQuery,
  memberDataQuery,
  memberStateQuery,
  mentorStateQuery,
  PHONE_ERASURE_WORKFLOW_TYPE,
  phoneErasureWorkflowId,
  TASK_QUEUE,
  type PhoneErasureInput,
} from '../workflows.js';
import { eraseMemberNow, requesterOf } from './members.js';

const ExportRequest = z
  .object({
    memberId: uuid('a member id').optional(),
    phone: e164.optional(),
  })
  .strict()
  .refine((b) => (b.memberId === undefined) !== (b.phone === undefined), {
    path: ['memberId'],
    message: 'give exactly one of memberId and phone',
  })
  .openapi('ExportRequest');

const ExportDocument = z
  .object({
    format: z.literal('crewline-export/1'),
    exportedAt: z.string(),
    subject: z.object({ phone: z.string(), memberId: z.string().nullable() }),
    member: z.record(z.string(), z.unknown()).nullable(),
    consentEvents: z.array(z.record(z.string(), z.unknown())),
    suppressions: z.array(z.record(z.string(), z.unknown())),
    messagesSent: z.array(z.record(z.string(), z.unknown())),
    messagesReceived: z.array(z.record(z.string(), z.unknown())),
    checkIns: z.array(z.record(z.string(), z.unknown())),
    goals: z.array(z.record(z.string(), z.unknown())),
    riskEvents: z.array(z.record(z.string(), z.unknown())),
    aiUsage: z.array(z.record(z.string(), z.unknown())),
    signInSessions: z.array(z.record(z.string(), z.unknown())),
    crews: z.array(z.record(z.string(), z.unknown())),
    reflections: z.array(z.record(z.string(), z.unknown())),
    reflectionFlags: z.array(z.record(z.string(), z.unknown())),
    mentorProfiles: z.array(z.record(z.string(), z.unknown())),
    mentorshipMatches: z.array(z.record(z.string(), z.unknown())),
    mentorshipOffers: z.array(z.record(z.string(), z.unknown())),
    guests: z.array(z.record(z.string(), z.unknown())),
    campaignsReceived: z.array(z.record(z.string(), z.unknown())),
    campaignReplies: z.array(z.record(z.string(), z.unknown())),
    workflows: z.array(
      z.object({
        workflowId: z.string(),
        type: z.string(),
        role: z.enum(HOLDER_ROLES).openapi({ description: 'how the workflow holds the person' }),
        status: z.string(),
        startTime: z.string(),
        closeTime: z.string().nullable(),
        state: z.unknown().openapi({
          description:
            "the workflow's decoded state as it concerns this person (running workflows; null otherwise, or when it also holds someone else's data)",
        }),
      }),
    ),
  })
  .openapi('PersonalDataExport');

const exportRoute = createRoute({
  method: 'post',
  path: '/exports',
  tags: ['Privacy'],
  summary: 'Export everything Crewline holds about a person (member, mentor or guest), streamed as JSON',
  description:
    'GDPR Art. 15/20. By `memberId`, or by `phone` (a guest, or any number we texted or heard from). The body ' +
    'streams section by section (texts in pages), so a large export never sits in memory. Admin keys only.',
  request: { body: jsonBody(ExportRequest) },
  responses: {
    200: {
      description: 'The export (a JSON document, streamed)',
      content: { 'application/json': { schema: ExportDocument } },
    },
    ...problems(404, ...BODY_PROBLEMS),
  },
});

const ErasureRequest = z
  .object({
    // E.164 as libphonenumber-js writes it (the form every stored number has).
    phone: e164.refine((p) => parsePhoneNumberFromString(p)?.number === p, {
      message: 'must be a phone number in E.164 form such as +14155550123',
    }),
  })
  .strict()
  .openapi('ErasureRequest');

const ErasureStatusJson = z
  .object({
    id: z
      .string()
      .openapi({ format: 'uuid', description: 'The erasure record id (a member erasure: their id)' }),
    status: z.enum(ERASURE_STATUSES),
    step: z
      .enum(ERASURE_STEPS)
      .nullable()
      .openapi({ description: 'The last step done (null before the first)' }),
    stepsDone: z.array(z.enum(ERASURE_STEPS)).openapi({
      description:
        'Steps done, in order: `workflows` (crew challenges, matches, campaigns told), `member` (their own ' +
        'workflow ended; a guest has none), `rows`, `shred` (payload keys destroyed), `done`',
    }),
    requestedAt: z.string(),
    completedAt: z.string().nullable(),
  })
  .openapi('ErasureStatus', {
    description: 'How far an erasure got. Never the number nor anything about them.',
  });

const erasureHeaders = {
  Location: { description: '`/privacy/erasures/{id}`: its progress', schema: { type: 'string' as const } },
  'Erasure-Id': { description: 'The erasure record id', schema: { type: 'string' as const, format: 'uuid' } },
};

const eraseRoute = createRoute({
  method: 'post',
  path: '/erasures',
  tags: ['Privacy'],
  summary: 'Erase whatever Crewline holds for a phone number (a member, or a guest)',
  description:
    "GDPR Art. 17 by number. A member's number: exactly `DELETE /members/{id}` (the erasure id is the member " +
    'id). Otherwise a guest: every guest-list entry across campaigns (with its campaign states and replies), ' +
    'texts to and from the number, test sends, the consent ledger (import evidence included) and suppressions ' +
    'go at once, replaced by the minimal erasure record (date, who asked, a keyed hash of the number) that ' +
    'keeps an opt-out, so a later import of the number is suppressed. The durable `erasure-phone-{id}` workflow ' +
    'then tells every running campaign to drop the guest and destroys their payload keys. A number already ' +
    'erased that Crewline holds nothing for again answers the same erasure (202, same id). Admin keys only.',
  request: { body: jsonBody(ErasureRequest) },
  responses: {
    202: {
      description: 'Erased; the erasure workflow finishes the job (follow `Location`)',
      headers: erasureHeaders,
      content: { 'application/json': { schema: ErasureStatusJson } },
    },
    ...problems(404, 503, ...BODY_PROBLEMS),
  },
});

const erasureRoute = createRoute({
  method: 'get',
  path: '/erasures/{id}',
  tags: ['Privacy'],
  summary: 'How far an erasure got',
  request: {
    params: z.object({ id: uuid('an erasure id').openapi({ param: { name: 'id', in: 'path' } }) }),
  },
  responses: { 200: jsonResponse(ErasureStatusJson, 'The erasure'), ...problems(404) },
});

const statusJson = (e: Erasure) => ({
  id: e.id,
  status: e.status,
  step: e.step,
  stepsDone: e.step ? ERASURE_STEPS.slice(0, ERASURE_STEPS.indexOf(e.step) + 1) : [],
  requestedAt: e.requestedAt.toISOString(),
  completedAt: e.completedAt?.toISOString() ?? null,
});

const noErasure = (id: string) =>
  new HttpProblem({ title: 'Not found', status: 404, detail: `No erasure ${id}.` });

/**
 * Erase a number that is not a member's: the durable part starts first (it erases the rows too should this
 * request die before its transaction), then the rows go here. Returns the erasure id.
 */
async function eraseGuestNumber(
  { db, temporal }: Pick<AppDeps, 'db' | 'temporal'>,
  phone: string,
  requestedBy: string,
): Promise<string> {
  const erasureId = randomUUID();
  const held = await guestHoldingsOfPhone(db, phone);
  const input: PhoneErasureInput = {
    erasureId,
    requestedBy,
    // Sealed by the payload codec under the erasure's own subject, destroyed as its last step.
    target: { subject: `erasure:${erasureId}`, phone },
    campaigns: held.campaigns,
    subjects: held.subjects,
  };
  await temporal.workflow
    .start(PHONE_ERASURE_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId: phoneErasureWorkflowId(erasureId),
      args: [input],
    })
    .catch((err: unknown) => {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    });
  await erasePhone(db, { erasureId, phone, requestedBy });
  return erasureId;
}

const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));

/** The workflows that hold the person, each with the state it may show them (running ones; null otherwise). */
async function* workflowsOf(db: Db, temporal: Client, s: ExportSubject): AsyncGenerator<unknown> {
  for (const { workflowId, role } of await workflowsHolding(db, s)) {
    const h = temporal.workflow.getHandle(workflowId);
    const d = await h.describe().catch(() => undefined);
    if (!d) continue; // never started, or gone with the namespace's retention
    const memberId = s.member?.id ?? '';
    const state =
      d.status.name !== 'RUNNING'
        ? null
        : await (
            role === 'member'
              ? h.query(memberStateQuery)
              : role === 'mentor'
                ? h.query(mentorStateQuery)
                : role === 'crew_member'
                  ? h.query(memberDataQuery, memberId)
                  : // A match's state holds the mentee's data: theirs to export, not the mentor's; a campaign's
                    // progress is nobody's personal data.
                    role === 'mentee'
                    ? h.query(matchStateQuery)
                    : Promise.resolve(null)
          ).catch(() => null);
    yield {
      workflowId,
      type: d.type,
      role,
      status: d.status.name,
      startTime: d.startTime.toISOString(),
      closeTime: d.closeTime?.toISOString() ?? null,
      state,
    };
  }
}

export function privacyRouter({ db, temporal, logger }: AppDeps) {
  return createRouter()
    .openapi(eraseRoute, async (c) => {
      const { phone } = c.req.valid('json');
      const requestedBy = requesterOf(c);
      const member = await findMemberByPhone(db, phone);
      let id: string;
      if (member) id = await eraseMemberNow({ db, temporal, logger }, member.id, requestedBy);
      else {
        const before = await newestErasureOfPhone(db, phone);
        // Erased already and nothing held again since: the same erasure (a retried request, or a second ask).
        if (before && !(await phoneHoldsData(db, phone))) id = before.id;
        else {
          id = await eraseGuestNumber({ db, temporal }, phone, requestedBy);
          // The number became a member's between the look and the transaction: erased as a member instead.
          const now = await findMemberByPhone(db, phone);
          if (now) id = await eraseMemberNow({ db, temporal, logger }, now.id, requestedBy);
        }
        logger.info({ erasureId: id }, 'number erased');
      }
      const record = await findErasure(db, id);
      if (!record) throw noErasure(id);
      c.header('Location', `/privacy/erasures/${id}`);
      c.header('Erasure-Id', id);
      return c.json(statusJson(record), 202);
    })
    .openapi(erasureRoute, async (c) => {
      const { id } = c.req.valid('param');
      const record = await findErasure(db, id);
      if (!record) throw noErasure(id);
      return c.json(statusJson(record), 200);
    })
    .openapi(exportRoute, async (c) => {
      const body = c.req.valid('json');
      const subject = await findExportSubject(
        db,
        body.memberId ? { memberId: body.memberId } : { phone: body.phone! },
      );
      if (!subject)
        throw new HttpProblem({
          title: 'Not found',
          status: 404,
          detail: 'Crewline holds nothing about this person',
        });
      const sections = exportSections(db, subject);
      const enc = new TextEncoder();
      const stream = new ReadableStream<Uint8Array>({
        async start(ctl) {
          const put = (s: string) => ctl.enqueue(enc.encode(s));
          try {
            put(
              `{"format":"crewline-export/1","exportedAt":${json(new Date().toISOString())},` +
                `"subject":${json({ phone: subject.phone, memberId: subject.member?.id ?? null })},` +
                `"member":${json(subject.member)}`,
            );
            const all: [string, () => AsyncGenerator<unknown>][] = [
              ...sections,
              ['workflows', () => workflowsOf(db, temporal, subject)],
            ];
            for (const [name, rows] of all) {
              put(`,${json(name)}:[`);
              let first = true;
              for await (const row of rows()) {
                put((first ? '' : ',') + json(row));
                first = false;
              }
              put(']');
            }
            put('}\n');
            ctl.close();
          } catch (err) {
            // Headers are gone: end the body unfinished, so a client sees invalid JSON rather than a short export.
            logger.error({ err }, 'export failed mid-stream');
            ctl.error(err);
          }
        },
      });
      logger.info(
        { memberId: subject.member?.id, guests: subject.guestIds.length },
        'personal data exported',
      );
      // Streamed: the typed c.json() would need the whole document in memory first.
      return c.body(stream, 200, { 'content-type': 'application/json' }) as never;
    });
}
