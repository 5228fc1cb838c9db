/**
 * Privacy (issue 12): `POST /privacy/exports` answers "send me my data" for a member (by id or phone), a mentor
 * (a member with a mentor profile) or a guest (by phone): everything Crewline holds, machine-readable JSON,
 * streamed section by section, plus the workflows that hold the person and their decoded state. Admin only (no
 * rule in api/auth.ts names `/privacy`).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client.js';
import {
  exportSections,
  findExportSubject,
  HOLDER_ROLES,
  workflowsHolding,
  type ExportSubject,
} from '../../db/export.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { e164, uuid } from '../schemas/atoms.js';
import { matchStateQuery, memberDataQuery, memberStateQuery, mentorStateQuery } from '../workflows.js';

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
  return createRouter().openapi(exportRoute, async (c) => {
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
    logger.info({ memberId: subject.member?.id, guests: subject.guestIds.length }, 'personal data exported');
    // Streamed: the typed c.json() would need the whole document in memory first.
    return c.body(stream, 200, { 'content-type': 'application/json' }) as never;
  });
}
