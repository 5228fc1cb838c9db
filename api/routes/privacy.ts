/**
 * Privacy (issue 12): `POST /privacy/exports` answers "send me my data" for a member (by id or phone), a mentor
 * (a member with a mentor profile) or a guest (by phone): everything Crewline holds, machine-readable JSON,
 * streamed section by section, plus the workflows that hold the person and their decoded state. Admin only (no
 * rule in api/auth.ts names `/privacy`).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { exportSections, findExportSubject, type ExportSubject } from '../../db/export.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { e164, uuid } from '../schemas/atoms.js';
import {
  CHALLENGE_MEMBER_IDS_SA,
  MEMBER_ID_SA,
  MENTOR_ID_SA,
  matchStateQuery,
  memberDataQuery,
  memberStateQuery,
  mentorStateQuery,
} from '../workflows.js';

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

/** The workflows that hold the person (visibility), with the state each may show them. */
async function* workflowsOf(temporal: Client, s: ExportSubject): AsyncGenerator<unknown> {
  if (!s.member) return;
  const m = s.member.id;
  const clauses = [`${MEMBER_ID_SA.name} = "${m}"`, `${CHALLENGE_MEMBER_IDS_SA.name} = "${m}"`];
  for (const id of s.mentorIds) clauses.push(`${MENTOR_ID_SA.name} = "${id}"`);
  for await (const w of temporal.workflow.list({ query: clauses.join(' OR ') })) {
    let state: unknown = null;
    if (w.status.name === 'RUNNING') {
      const h = temporal.workflow.getHandle(w.workflowId);
      const mentee = w.searchAttributes?.[MEMBER_ID_SA.name]?.[0] === m;
      state = await (
        w.type === 'memberWorkflow'
          ? h.query(memberStateQuery)
          : w.type === 'mentorWorkflow'
            ? h.query(mentorStateQuery)
            : w.type === 'crewChallengeWorkflow'
              ? h.query(memberDataQuery, m)
              : // A match's state holds the mentee's data: theirs to export, not the mentor's.
                w.type === 'mentorshipMatchWorkflow' && mentee
                ? h.query(matchStateQuery)
                : Promise.resolve(null)
      ).catch(() => null);
    }
    yield {
      workflowId: w.workflowId,
      type: w.type,
      status: w.status.name,
      startTime: w.startTime.toISOString(),
      closeTime: w.closeTime?.toISOString() ?? null,
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
            ['workflows', () => workflowsOf(temporal, subject)],
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
