/**
 * Mentors and mentorship matches (issue 11): mentor profiles (each with its `mentor-<id>` workflow holding the
 * capacity), the operator's score weights, match requests (each a `mentorship-match-<id>` workflow), answers to
 * the live offer and ending a match. Mentors are members: their phone, zone and SMS consent (the member's
 * double opt-in) are their member row's.
 */
import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, sql } from 'drizzle-orm';
import { currentWeights, insertMatch, insertMentor, insertWeights } from '../../db/mentorship.js';
import { members, mentors, mentorshipMatches } from '../../db/schema.js';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  mentorshipCohortWorkflowId,
  mentorshipMatchWorkflowId,
  mentorWorkflowId,
  TASK_QUEUE,
} from '../../workflows/ids.js';
import {
  assignCohortUpdate,
  cohortStateQuery,
  COHORT_LIMITS,
  COHORT_STATUSES,
  joinCohortUpdate,
  type CohortWorkflowInput,
} from '../../workflows/mentorship-cohort/definitions.js';
import { MEMBER_ID_SA } from '../../workflows/member/search-attributes.js';
import {
  COHORT_ID_SA,
  MATCH_STATUS_SA,
  MENTOR_ID_SA,
} from '../../workflows/mentorship-match/search-attributes.js';
import { mentorStateQuery, type MentorWorkflowInput } from '../../workflows/mentor/definitions.js';
import {
  answerOfferUpdate,
  endMatchUpdate,
  matchStateQuery,
  pauseMatchUpdate,
  rescheduleSessionUpdate,
  resumeMatchUpdate,
  scheduleSessionUpdate,
  sessionFeedbackUpdate,
  type MatchSnapshot,
  type MatchWorkflowInput,
} from '../../workflows/mentorship-match/definitions.js';
import { validWeights } from '../../workflows/mentorship-match/score.js';
import { markedForAll, subjectIf, unmarked } from '../../workflows/lib/subject.js';
import { markedZone } from '../../workflows/mentorship-match/sealed.js';
import {
  MATCH_DEFAULTS,
  MATCH_STATUSES,
  OFFER_STATUSES,
  SESSION_DEFAULTS,
  SESSION_ROLES,
  SESSION_STATUSES,
} from '../../workflows/mentorship-match/values.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { page } from '../pagination.js';
import { hhmm, limit, text, uuid } from '../schemas/atoms.js';

const MAX_CAPACITY = 20;

// ---- request schemas

const tag = text(40).transform((s) => s.toLowerCase());
const tags = (what: string) =>
  z.array(tag).min(1, `list at least one ${what}`).max(20, `at most 20 ${what}s`);
const availability = z
  .array(
    z
      .object({
        weekday: z.number().int().min(0, 'must be 0 (Sunday) to 6').max(6, 'must be 0 (Sunday) to 6'),
        from: hhmm,
        to: hhmm,
      })
      .refine((w) => w.to > w.from, { message: 'to must be after from', path: ['to'] }),
  )
  .max(21, 'at most 21 windows')
  .openapi({ description: 'weekly windows in local time (weekday 0 = Sunday, HH:MM from < to)' });

const CreateMentor = z
  .object({
    memberId: uuid('a member id'),
    expertise: tags('expertise tag'),
    languages: tags('language'),
    availability,
    capacity: z
      .number()
      .int('must be a whole number')
      .min(0, 'must be 0 (not taking) or more')
      .max(MAX_CAPACITY, `must be at most ${MAX_CAPACITY}`),
  })
  .openapi('CreateMentor');

const weight = z.number().min(0, 'must be 0 to 1').max(1, 'must be 0 to 1');
const Weights = z
  .object({ focus: weight, language: weight, schedule: weight, timezone: weight, load: weight })
  .refine(validWeights, { message: 'at least one weight must be above 0', path: ['focus'] });
const CreateWeights = z.object({ version: text(40), weights: Weights }).openapi('CreateWeights');

const CreateMatch = z
  .object({
    menteeMemberId: uuid('a member id'),
    focusAreas: tags('focus area'),
    languages: tags('language'),
    availability: availability.default([]),
    shareRisk: z.boolean().default(false),
    weeks: z
      .number()
      .int('must be a whole number of weeks')
      .min(MATCH_DEFAULTS.minWeeks, `must be ${MATCH_DEFAULTS.minWeeks} to ${MATCH_DEFAULTS.maxWeeks}`)
      .max(MATCH_DEFAULTS.maxWeeks, `must be ${MATCH_DEFAULTS.minWeeks} to ${MATCH_DEFAULTS.maxWeeks}`)
      .default(MATCH_DEFAULTS.weeks),
    cohortId: uuid('a cohort id').optional().openapi({
      description:
        'Join this collecting cohort: the request waits for the cohort to be assigned at once instead of being offered on its own',
    }),
  })
  .openapi('CreateMatchRequest');

const CreateCohort = z
  .object({
    windowHours: z
      .number()
      .int('must be a whole number of hours')
      .min(
        COHORT_LIMITS.minWindowHours,
        `must be ${COHORT_LIMITS.minWindowHours} to ${COHORT_LIMITS.maxWindowHours}`,
      )
      .max(
        COHORT_LIMITS.maxWindowHours,
        `must be ${COHORT_LIMITS.minWindowHours} to ${COHORT_LIMITS.maxWindowHours}`,
      )
      .default(COHORT_LIMITS.defaultWindowHours),
  })
  .openapi('CreateCohort');
const CohortReportJson = z
  .object({
    requests: z.number().int(),
    assigned: z.number().int(),
    unplaced: z.number().int().openapi({ description: 'Requests sent to the operator queue' }),
    totalScore: z.number(),
    minScore: z.number().nullable(),
    medianScore: z.number().nullable(),
    firstChoiceShare: z.number().nullable().openapi({
      description: 'Assigned requests whose mentor scores as high as their best, over the assigned',
    }),
    fallbacks: z
      .number()
      .int()
      .openapi({ description: "Assigned to a next best mentor after capacity refused the optimiser's pick" }),
  })
  .openapi('CohortReport');
const CohortJson = z
  .object({
    cohortId: z.string(),
    status: z.enum(COHORT_STATUSES),
    closesAt: z.string(),
    requests: z.array(z.string()),
    assignments: z.array(
      z.object({
        matchId: z.string(),
        mentorId: z.string().nullable(),
        score: z.number().nullable(),
        firstChoice: z.boolean(),
        fallback: z.boolean(),
        reason: z.string().nullable(),
      }),
    ),
    report: CohortReportJson.nullable(),
  })
  .openapi('MentorshipCohort', { description: 'A cohort, live from its workflow' });

const AnswerOffer = z.object({ mentorId: uuid('a mentor id'), accept: z.boolean() }).openapi('AnswerOffer');
const EndMatch = z.object({ reason: text(200) }).openapi('EndMatch');
const idParam = (what: string) => z.object({ id: uuid(what).openapi({ param: { name: 'id', in: 'path' } }) });
const sessionParams = z.object({
  id: uuid('a match id').openapi({ param: { name: 'id', in: 'path' } }),
  n: z.coerce
    .number({ message: 'must be a session number' })
    .int('must be a session number')
    .min(1, 'must be a session number')
    .max(10_000, 'must be a session number')
    .openapi({ param: { name: 'n', in: 'path' }, type: 'integer' }),
});
const minutes = z
  .number()
  .int('must be a whole number of minutes')
  .min(
    SESSION_DEFAULTS.minMinutes,
    `must be ${SESSION_DEFAULTS.minMinutes} to ${SESSION_DEFAULTS.maxMinutes}`,
  )
  .max(
    SESSION_DEFAULTS.maxMinutes,
    `must be ${SESSION_DEFAULTS.minMinutes} to ${SESSION_DEFAULTS.maxMinutes}`,
  );
const BookSession = z
  .object({
    startsAt: z
      .string()
      .datetime({ offset: true, message: 'must be an ISO 8601 date-time with Z or an offset' })
      .openapi({ example: '2028-07-11T22:00:00Z' }),
    minutes: minutes.optional(),
  })
  .openapi('BookSession', {
    description:
      "inside one of the mentor's weekly windows (their zone), at least 1 h and at most 60 days ahead",
  });
const SessionFeedback = z
  .object({
    from: z.enum(SESSION_ROLES),
    rating: z
      .number()
      .int('must be 0 to 4')
      .min(0, 'must be 0 to 4')
      .max(4, 'must be 0 to 4')
      .openapi({ description: '1 (not useful) to 4 (great); 0 = the session did not happen (no-show)' }),
  })
  .openapi('SessionFeedback');
const PauseMatch = z.object({ reason: text(200) }).openapi('PauseMatch');

// ---- response schemas

const WindowJson = z.object({ weekday: z.number().int(), from: z.string(), to: z.string() });
const MentorJson = z
  .object({
    id: z.string(),
    memberId: z.string(),
    expertise: z.array(z.string()),
    languages: z.array(z.string()),
    availability: z.array(WindowJson),
    capacity: z.number().int(),
    /** Live from the mentor workflow; null when it did not answer. */
    activeMatches: z.array(z.string()).nullable(),
    createdAt: z.string(),
  })
  .openapi('Mentor');
const Breakdown = z.object({
  focus: z.number(),
  language: z.number(),
  schedule: z.number(),
  timezone: z.number(),
  load: z.number(),
});
const BriefingJson = z
  .object({
    source: z.enum(['openai', 'template']),
    prompt: z.string(),
    text: z.string().openapi({ description: 'the SMS sent 2 h before the session' }),
    more: z.string().openapi({ description: 'the longer version (the mentor replies MORE)' }),
  })
  .openapi('MentorBriefing');
const SessionJson = z
  .object({
    number: z.number().int(),
    startsAt: z.string(),
    minutes: z.number().int(),
    status: z.enum(SESSION_STATUSES),
    reschedules: z.number().int(),
    mentorLocal: z
      .string()
      .openapi({ description: "the start in the mentor's zone, e.g. Tue 2028-07-11 18:00" }),
    menteeLocal: z.string(),
    ratings: z.object({ mentor: z.number().int().nullable(), mentee: z.number().int().nullable() }),
    noShowReportedBy: z.enum(SESSION_ROLES).nullable(),
    briefing: BriefingJson.nullable(),
  })
  .openapi('MentorshipSession');
const WeightsJson = z.object({ version: z.string(), weights: Breakdown }).openapi('ScoreWeights');
const MatchJson = z
  .object({
    matchId: z.string(),
    menteeMemberId: z.string(),
    status: z.enum(MATCH_STATUSES),
    mentorId: z.string().nullable(),
    offers: z.array(
      z.object({
        mentorId: z.string(),
        rank: z.number().int(),
        score: z.number(),
        breakdown: Breakdown,
        weightsVersion: z.string(),
        status: z.enum(OFFER_STATUSES),
        offeredAt: z.string(),
        deadlineAt: z.string(),
        remindersSent: z.number().int(),
        reason: z.string().nullable(),
      }),
    ),
    endsAt: z.string().nullable(),
    unmatchedReason: z.string().nullable(),
    riskAlerts: z.number().int(),
    riskAlert: z
      .object({ localDate: z.string(), acknowledged: z.boolean(), escalated: z.boolean() })
      .nullable(),
    sessions: z.array(SessionJson),
    fit: z.boolean().nullable(),
    pausedAt: z.string().nullable(),
  })
  .openapi('MentorshipMatch', { description: 'A match, live from its workflow' });

const ListMatchesQuery = z.object({
  status: z.enum(MATCH_STATUSES).optional(),
  limit: limit(50, 100),
  /** Cursor: the `nextBefore` of the previous page (a match id). */
  before: uuid('the nextBefore of the previous page').optional(),
});
const MatchListItem = z
  .object({
    matchId: z.string(),
    menteeMemberId: z.string(),
    status: z.enum(MATCH_STATUSES),
    mentorId: z.string().nullable(),
    reason: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('MentorshipMatchListItem');

// ---- routes

const mentorTags = ['Mentors'];
const matchTags = ['Mentorship'];
const createMentorRoute = createRoute({
  method: 'post',
  path: '/mentors',
  tags: mentorTags,
  summary: 'Make a confirmed member a mentor and start their workflow (which holds their capacity)',
  request: { body: jsonBody(CreateMentor) },
  responses: {
    201: {
      ...jsonResponse(MentorJson, 'Created'),
      headers: z.object({ location: z.string().openapi({ description: '/mentors/<id>' }) }),
    },
    ...problems(404, 409, 422, 503, ...BODY_PROBLEMS),
  },
});
const getMentorRoute = createRoute({
  method: 'get',
  path: '/mentors/{id}',
  tags: mentorTags,
  summary: 'One mentor: profile and the matches holding a slot (live)',
  request: { params: idParam('a mentor id') },
  responses: { 200: jsonResponse(MentorJson, 'The mentor'), ...problems(404) },
});
const getWeightsRoute = createRoute({
  method: 'get',
  path: '/mentorship/weights',
  tags: matchTags,
  summary: 'The score weights that rank new requests (the newest version, else the default)',
  responses: { 200: jsonResponse(WeightsJson, 'Current weights'), ...problems() },
});
const createWeightsRoute = createRoute({
  method: 'post',
  path: '/mentorship/weights',
  tags: matchTags,
  summary: 'A new weight version (each 0–1, not all 0): ranks every request made from now on',
  request: { body: jsonBody(CreateWeights) },
  responses: { 201: jsonResponse(WeightsJson, 'Created'), ...problems(409, ...BODY_PROBLEMS) },
});
const createMatchRoute = createRoute({
  method: 'post',
  path: '/mentorship/matches',
  tags: matchTags,
  summary:
    'A mentee asks for a mentor: up to 5 ranked candidates are offered one at a time, then the optimiser re-matches the remaining pool (or, with cohortId, the cohort assigns it)',
  request: { body: jsonBody(CreateMatch) },
  responses: {
    201: {
      ...jsonResponse(
        z.object({ matchId: z.string(), status: z.enum(MATCH_STATUSES) }).openapi('MatchCreated'),
        'Created',
      ),
      headers: z.object({ location: z.string().openapi({ description: '/mentorship/matches/<id>' }) }),
    },
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});
const cohortTags = ['Mentorship cohorts'];
const createCohortRoute = createRoute({
  method: 'post',
  path: '/mentorship/cohorts',
  tags: cohortTags,
  summary:
    'Open a cohort: requests made with its id are collected for the window, then assigned at once (max total score under capacity)',
  // Every field has a default: no body at all opens a 24-hour cohort.
  request: { body: { ...jsonBody(CreateCohort), required: false } },
  responses: {
    201: {
      ...jsonResponse(CohortJson, 'Created'),
      headers: z.object({ location: z.string().openapi({ description: '/mentorship/cohorts/<id>' }) }),
    },
    ...problems(503, ...BODY_PROBLEMS),
  },
});
const getCohortRoute = createRoute({
  method: 'get',
  path: '/mentorship/cohorts/{id}',
  tags: cohortTags,
  summary:
    'One cohort: its requests and, once assigned, every assignment and the report (min, median, first choices)',
  request: { params: idParam('a cohort id') },
  responses: { 200: jsonResponse(CohortJson, 'The cohort'), ...problems(404, 503) },
});
const assignCohortRoute = createRoute({
  method: 'post',
  path: '/mentorship/cohorts/{id}/assign',
  tags: cohortTags,
  summary:
    "Close the window now and assign the whole cohort; every pair is reserved through the mentor's capacity, a refused one falls back to the next best or the operator queue",
  request: { params: idParam('a cohort id') },
  responses: { 200: jsonResponse(CohortJson, 'The assigned cohort'), ...problems(404, 422, 503) },
});
const listMatchesRoute = createRoute({
  method: 'get',
  path: '/mentorship/matches',
  tags: matchTags,
  summary: 'Matches, newest first; `status=unmatched` is the operator queue (with the reason)',
  request: { query: ListMatchesQuery },
  responses: {
    200: jsonResponse(
      z.object({ matches: z.array(MatchListItem), nextBefore: z.string().nullable() }),
      'A page of matches; pass nextBefore as before for the next one',
    ),
    ...problems(),
  },
});
const getMatchRoute = createRoute({
  method: 'get',
  path: '/mentorship/matches/{id}',
  tags: matchTags,
  summary: 'One match: status, every offer with its score breakdown and weight version',
  request: { params: idParam('a match id') },
  responses: { 200: jsonResponse(MatchJson, 'The match'), ...problems(404, 503) },
});
const answerRoute = createRoute({
  method: 'post',
  path: '/mentorship/matches/{id}/answer',
  tags: matchTags,
  summary: 'The offered mentor accepts or declines the live offer (as YES/NO by SMS would)',
  request: { params: idParam('a match id'), body: jsonBody(AnswerOffer) },
  responses: {
    200: jsonResponse(MatchJson, 'The match after the answer'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});
const endRoute = createRoute({
  method: 'post',
  path: '/mentorship/matches/{id}/end',
  tags: matchTags,
  summary: "End an active match early: the mentor's slot is freed and both are told",
  request: { params: idParam('a match id'), body: jsonBody(EndMatch) },
  responses: {
    200: jsonResponse(MatchJson, 'The ended match'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});

const sessionTags = ['Mentorship sessions'];
const bookRoute = createRoute({
  method: 'post',
  path: '/mentorship/matches/{id}/sessions',
  tags: sessionTags,
  summary:
    "Book a session in an active match (inside the mentor's availability); both are texted in their zone",
  request: { params: idParam('a match id'), body: jsonBody(BookSession) },
  responses: {
    201: jsonResponse(MatchJson, 'The match with the new session (the last in `sessions`)'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});
const rescheduleRoute = createRoute({
  method: 'patch',
  path: '/mentorship/matches/{id}/sessions/{n}',
  tags: sessionTags,
  summary: 'Move a booked session that has not started: its reminders and briefing are re-armed',
  request: { params: sessionParams, body: jsonBody(BookSession) },
  responses: {
    200: jsonResponse(MatchJson, 'The match after the move'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});
const feedbackRoute = createRoute({
  method: 'post',
  path: '/mentorship/matches/{id}/sessions/{n}/feedback',
  tags: sessionTags,
  summary: 'A side rates a session 1–4, or 0 = it did not happen (as by SMS after the session)',
  request: { params: sessionParams, body: jsonBody(SessionFeedback) },
  responses: {
    200: jsonResponse(MatchJson, 'The match after the feedback'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});
const briefingRoute = createRoute({
  method: 'get',
  path: '/mentorship/matches/{id}/sessions/{n}/briefing',
  tags: sessionTags,
  summary: 'The AI briefing the mentor got 2 h before the session (404 until it is written)',
  request: { params: sessionParams },
  responses: { 200: jsonResponse(BriefingJson, 'The briefing'), ...problems(404, 503) },
});
const pauseRoute = createRoute({
  method: 'post',
  path: '/mentorship/matches/{id}/pause',
  tags: matchTags,
  summary: 'Pause an active match: booked sessions are cancelled, its clocks stop',
  request: { params: idParam('a match id'), body: jsonBody(PauseMatch) },
  responses: {
    200: jsonResponse(MatchJson, 'The paused match'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});
const resumeRoute = createRoute({
  method: 'post',
  path: '/mentorship/matches/{id}/resume',
  tags: matchTags,
  summary: 'Resume a paused match: its end moves by the time it was paused',
  request: { params: idParam('a match id') },
  responses: { 200: jsonResponse(MatchJson, 'The resumed match'), ...problems(404, 422, 503) },
});

// ---- handlers

const notFound = (what: string, id: string) =>
  new HttpProblem({ title: 'Not found', status: 404, detail: `No ${what} ${id}.` });
const isUniqueViolation = (err: unknown) =>
  (err as { code?: string }).code === '23505' ||
  (err as { cause?: { code?: string } }).cause?.code === '23505';

export function mentorshipRouter({ db, temporal, logger }: AppDeps) {
  async function liveMember(id: string) {
    const m = await db.query.members.findFirst({ where: eq(members.id, id) });
    if (!m || m.status === 'erased') throw notFound('member', id);
    return m;
  }
  async function requireMatch(id: string) {
    const m = await db.query.mentorshipMatches.findFirst({ where: eq(mentorshipMatches.id, id) });
    if (!m) throw notFound('match', id);
    return m;
  }
  const matchHandle = (id: string) => temporal.workflow.getHandle(mentorshipMatchWorkflowId(id));
  const cohortHandle = (id: string) => temporal.workflow.getHandle(mentorshipCohortWorkflowId(id));
  /** A cohort exists when its workflow does (running or assigned, within retention): its live state. */
  async function requireCohort(id: string) {
    try {
      return await cohortHandle(id).query(cohortStateQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw notFound('cohort', id);
      throw err;
    }
  }
  /** A finished cohort takes no more requests nor a second assignment (its workflow has completed). */
  const notCollecting = (field: string, status: string) =>
    new HttpProblem({
      title: 'Rejected',
      status: 422,
      detail: `${field}: cohort is ${status}, not collecting`,
      errors: [{ field, message: `cohort is ${status}, not collecting` }],
    });
  /** The member behind a mentor profile (their payload-codec subject), or undefined. */
  async function mentorMemberId(mentorId: string | null | undefined): Promise<string | undefined> {
    if (!mentorId) return undefined;
    const r = await db.query.mentors.findFirst({
      where: eq(mentors.id, mentorId),
      columns: { memberId: true },
    });
    return r?.memberId;
  }
  /** A free-text reason about the pairing (end, pause): sealed under both sides' keys in the history. */
  async function aboutPairing<T extends object>(
    match: { menteeMemberId: string; mentorId: string | null },
    data: T,
  ): Promise<T> {
    const mentor = await mentorMemberId(match.mentorId);
    return markedForAll([subjectIf('member', match.menteeMemberId), subjectIf('member', mentor)], data);
  }
  // An update's answer comes back marked for the payload codec (sealed in the history): not shown.
  const toMatchJson = (s: MatchSnapshot) => ({
    ...unmarked(s),
    offers: s.offers.map((o) => ({ ...o, breakdown: { ...o.breakdown } })),
    sessions: s.sessions ?? [],
    fit: s.fit ?? null,
    pausedAt: s.pausedAt ?? null,
  });

  return createRouter()
    .openapi(createMentorRoute, async (c) => {
      const input = c.req.valid('json');
      const member = await liveMember(input.memberId);
      if (member.status !== 'active') {
        throw new HttpProblem({
          title: 'Rejected',
          status: 422,
          detail: 'memberId: the member has not confirmed by SMS (or opted out)',
          errors: [{ field: 'memberId', message: 'has not confirmed by SMS (or opted out)' }],
        });
      }
      const id = randomUUID();
      try {
        const row = await db.transaction(async (tx) => {
          const r = await insertMentor(tx, { id, ...input });
          const args: [MentorWorkflowInput] = [{ mentorId: id, capacity: input.capacity }];
          await temporal.workflow.start('mentorWorkflow', {
            taskQueue: TASK_QUEUE,
            workflowId: mentorWorkflowId(id),
            args,
            staticSummary: `Mentor ${id}`,
            typedSearchAttributes: [
              { key: MENTOR_ID_SA, value: id },
              { key: MEMBER_ID_SA, value: input.memberId },
            ],
            staticDetails: `Capacity ${input.capacity}`,
          });
          return r;
        });
        logger.info({ mentorId: id, memberId: input.memberId }, 'mentor created');
        return c.json(
          {
            id,
            memberId: row.memberId,
            expertise: row.expertise,
            languages: row.languages,
            availability: row.availability,
            capacity: row.capacity,
            activeMatches: [] as string[],
            createdAt: row.createdAt.toISOString(),
          },
          201,
          { location: `/mentors/${id}` },
        );
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw new HttpProblem({
            title: 'Conflict',
            status: 409,
            detail: 'This member is already a mentor.',
            errors: [{ field: 'memberId', message: 'is already a mentor' }],
          });
        }
        throw err;
      }
    })
    .openapi(getMentorRoute, async (c) => {
      const { id } = c.req.valid('param');
      const row = await db.query.mentors.findFirst({ where: eq(mentors.id, id) });
      if (!row) throw notFound('mentor', id);
      const live = await temporal.workflow
        .getHandle(mentorWorkflowId(id))
        .query(mentorStateQuery)
        .catch((err: unknown) => {
          logger.warn({ mentorId: id, errorName: (err as Error).name }, 'mentor state query failed');
          return null;
        });
      return c.json(
        {
          id,
          memberId: row.memberId,
          expertise: row.expertise,
          languages: row.languages,
          availability: row.availability,
          capacity: live?.capacity ?? row.capacity,
          activeMatches: live?.active ?? null,
          createdAt: row.createdAt.toISOString(),
        },
        200,
      );
    })
    .openapi(getWeightsRoute, async (c) => c.json(await currentWeights(db), 200))
    .openapi(createWeightsRoute, async (c) => {
      const { version, weights } = c.req.valid('json');
      const row = await insertWeights(db, version, weights);
      if (!row) {
        throw new HttpProblem({
          title: 'Conflict',
          status: 409,
          detail: 'A weight version with this name exists; versions are never changed.',
          errors: [{ field: 'version', message: 'already exists' }],
        });
      }
      logger.info({ version }, 'mentorship weights added');
      return c.json({ version: row.version, weights: row.weights }, 201);
    })
    .openapi(createMatchRoute, async (c) => {
      const input = c.req.valid('json');
      const { cohortId, ...fields } = input;
      const mentee = await liveMember(input.menteeMemberId);
      const id = randomUUID();
      if (cohortId !== undefined) {
        const cohort = await requireCohort(cohortId);
        if (cohort.status !== 'collecting') throw notCollecting('cohortId', cohort.status);
      }
      await db.transaction(async (tx) => {
        await insertMatch(tx, { id, ...fields, status: 'requested' });
        const args: [MatchWorkflowInput] = [
          {
            matchId: id,
            menteeMemberId: input.menteeMemberId,
            shareRisk: input.shareRisk,
            weeks: input.weeks,
            // Sealed under the mentee's key in the match's history (README "Privacy").
            menteeTimezone: markedZone(input.menteeMemberId, mentee.timezone),
            ...(cohortId !== undefined ? { cohortId } : {}),
          },
        ];
        await temporal.workflow.start('mentorshipMatchWorkflow', {
          taskQueue: TASK_QUEUE,
          workflowId: mentorshipMatchWorkflowId(id),
          args,
          staticSummary: `Mentorship match ${id}`,
          typedSearchAttributes: [
            { key: MEMBER_ID_SA, value: input.menteeMemberId },
            { key: MATCH_STATUS_SA, value: 'requested' },
            ...(cohortId !== undefined ? [{ key: COHORT_ID_SA, value: cohortId }] : []),
          ],
          staticDetails: `Mentee ${input.menteeMemberId}, ${input.weeks} weeks`,
        });
        // Then the cohort takes it (its workflow exists to be told). Refused (422 `cohortId`: no longer
        // collecting): the waiting workflow is terminated and the row rolled back.
        if (cohortId !== undefined) {
          try {
            await cohortHandle(cohortId).executeUpdate(joinCohortUpdate, { args: [{ matchId: id }] });
          } catch (err) {
            await matchHandle(id).terminate('the cohort refused the request');
            throw err;
          }
        }
      });
      logger.info({ matchId: id, memberId: input.menteeMemberId }, 'mentorship requested');
      return c.json({ matchId: id, status: 'requested' as const }, 201, {
        location: `/mentorship/matches/${id}`,
      });
    })
    .openapi(createCohortRoute, async (c) => {
      const { windowHours } = c.req.valid('json');
      const id = randomUUID();
      // The window runs on the workflow's clock from its start.
      const args: [CohortWorkflowInput] = [{ cohortId: id, windowHours }];
      const handle = await temporal.workflow.start('mentorshipCohortWorkflow', {
        taskQueue: TASK_QUEUE,
        workflowId: mentorshipCohortWorkflowId(id),
        args,
        staticSummary: `Mentorship cohort ${id}`,
        typedSearchAttributes: [{ key: COHORT_ID_SA, value: id }],
        staticDetails: `Collects requests for ${windowHours} h, then assigns them at once`,
      });
      logger.info({ cohortId: id, windowHours }, 'mentorship cohort opened');
      return c.json(await handle.query(cohortStateQuery), 201, { location: `/mentorship/cohorts/${id}` });
    })
    .openapi(getCohortRoute, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(await requireCohort(id), 200);
    })
    .openapi(assignCohortRoute, async (c) => {
      const { id } = c.req.valid('param');
      const cohort = await requireCohort(id);
      if (cohort.status !== 'collecting') throw notCollecting('status', cohort.status);
      const s = await cohortHandle(id).executeUpdate(assignCohortUpdate, { args: [] });
      logger.info({ cohortId: id, ...s.report }, 'mentorship cohort assigned');
      // Each assignment comes back marked for the payload codec (sealed in the history): not shown.
      return c.json({ ...s, assignments: s.assignments.map((a) => unmarked(a)) }, 200);
    })
    .openapi(listMatchesRoute, async (c) => {
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(mentorshipMatches)
        .where(
          and(
            q.status ? eq(mentorshipMatches.status, q.status) : undefined,
            q.before
              ? sql`(${mentorshipMatches.createdAt}, ${mentorshipMatches.id}) < (select m.created_at, m.id from mentorship_matches m where m.id = ${q.before})`
              : undefined,
          ),
        )
        .orderBy(desc(mentorshipMatches.createdAt), desc(mentorshipMatches.id))
        .limit(q.limit);
      const { items, nextBefore } = page(rows, q.limit, (m) => m.id);
      return c.json(
        {
          matches: items.map((m) => ({
            matchId: m.id,
            menteeMemberId: m.menteeMemberId,
            status: m.status,
            mentorId: m.mentorId,
            reason: m.reason,
            createdAt: m.createdAt.toISOString(),
          })),
          nextBefore,
        },
        200,
      );
    })
    .openapi(getMatchRoute, async (c) => {
      const { id } = c.req.valid('param');
      await requireMatch(id);
      return c.json(toMatchJson(await matchHandle(id).query(matchStateQuery)), 200);
    })
    .openapi(answerRoute, async (c) => {
      const { id } = c.req.valid('param');
      await requireMatch(id);
      const answer = c.req.valid('json');
      // The mentor's answer is their personal data: sealed with their key in the match's history.
      const s = await matchHandle(id).executeUpdate(answerOfferUpdate, {
        args: [markedForAll([subjectIf('member', await mentorMemberId(answer.mentorId))], answer)],
      });
      return c.json(toMatchJson(s), 200);
    })
    .openapi(endRoute, async (c) => {
      const { id } = c.req.valid('param');
      const s = await matchHandle(id).executeUpdate(endMatchUpdate, {
        args: [await aboutPairing(await requireMatch(id), c.req.valid('json'))],
      });
      return c.json(toMatchJson(s), 200);
    })
    .openapi(bookRoute, async (c) => {
      const { id } = c.req.valid('param');
      // When the pair meets is about both of them: sealed under both keys in the match's history.
      const match = await requireMatch(id);
      const s = await matchHandle(id).executeUpdate(scheduleSessionUpdate, {
        args: [await aboutPairing(match, c.req.valid('json'))],
      });
      return c.json(toMatchJson(s), 201);
    })
    .openapi(rescheduleRoute, async (c) => {
      const { id, n } = c.req.valid('param');
      const match = await requireMatch(id);
      const s = await matchHandle(id).executeUpdate(rescheduleSessionUpdate, {
        args: [await aboutPairing(match, { session: n, ...c.req.valid('json') })],
      });
      return c.json(toMatchJson(s), 200);
    })
    .openapi(feedbackRoute, async (c) => {
      const { id, n } = c.req.valid('param');
      const match = await requireMatch(id);
      const feedback = { session: n, ...c.req.valid('json') };
      // A rating is the rater's personal data, about the pairing: sealed under both sides' keys in the history.
      const mentee = subjectIf('member', match.menteeMemberId);
      const mentor = subjectIf('member', await mentorMemberId(match.mentorId));
      const s = await matchHandle(id).executeUpdate(sessionFeedbackUpdate, {
        args: [markedForAll(feedback.from === 'mentor' ? [mentor, mentee] : [mentee, mentor], feedback)],
      });
      return c.json(toMatchJson(s), 200);
    })
    .openapi(briefingRoute, async (c) => {
      const { id, n } = c.req.valid('param');
      await requireMatch(id);
      const s = await matchHandle(id).query(matchStateQuery);
      const briefing = s.sessions?.find((x) => x.number === n)?.briefing;
      if (!briefing) throw notFound('briefing for session', String(n));
      return c.json(briefing, 200);
    })
    .openapi(pauseRoute, async (c) => {
      const { id } = c.req.valid('param');
      const s = await matchHandle(id).executeUpdate(pauseMatchUpdate, {
        args: [await aboutPairing(await requireMatch(id), c.req.valid('json'))],
      });
      return c.json(toMatchJson(s), 200);
    })
    .openapi(resumeRoute, async (c) => {
      const { id } = c.req.valid('param');
      await requireMatch(id);
      const s = await matchHandle(id).executeUpdate(resumeMatchUpdate, { args: [] });
      return c.json(toMatchJson(s), 200);
    });
}
