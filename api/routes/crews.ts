/**
 * Crews, memberships and crew challenges. A crew and its memberships live in Postgres (db/crews.ts: a membership
 * and its sharing consent are one transaction); each challenge is a `crew-challenge-<id>` workflow, told of
 * joins and leaves, answered by API and read by query.
 */
import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import type { Crew, CrewMember } from '../../db/crew-schema.js';
import {
  challengesOfCrew,
  createCrew,
  crewMembership,
  crewsOfMember,
  findChallenge,
  findCrew,
  insertChallenge,
  joinCrew,
  leaveCrew,
  listJoinableCrews,
} from '../../db/crews.js';
import { members } from '../../db/schema.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { page } from '../pagination.js';
import { HttpProblem } from '../problem.js';
import { limit, localDate, memberIdParam, text, timeZone, uuid } from '../schemas/atoms.js';
import {
  answerUpdate,
  cancelChallengeSignal,
  CHALLENGE_MEMBER_IDS_SA,
  CHALLENGE_STATUS_SA,
  CHALLENGE_STATUSES,
  challengeStateQuery,
  contributeUpdate,
  CREW_CHALLENGE_WORKFLOW_TYPE,
  CREW_ID_SA,
  crewChallengeWorkflowId,
  joinChallengeSignal,
  leaderboardAliasUpdate,
  leaderboardQuery,
  leaveChallengeSignal,
  MAX_CHALLENGE_DAYS,
  MAX_CHALLENGE_K,
  MAX_GOAL_AMOUNT,
  MAX_GOAL_TARGET,
  MILESTONE_IDS_PATTERN,
  MIN_PULSE_K,
  raiseKUpdate,
  TASK_QUEUE,
  TONES,
  CREW_DEFAULT_TONE,
  type ChallengeView,
  type CrewChallengeInput,
} from '../workflows.js';
import { aboutSubject, markedFor, subjectOf, unmarked } from '../../workflows/lib/subject.js';

// ---- schemas

const Consent = z
  .object({
    pulses: z.literal(true, 'must be true: joining a crew means sharing anonymised pulses'),
    reflections: z.boolean(),
  })
  .openapi('CrewSharingConsent', {
    description:
      'Explicit consent, recorded in the consent ledger with its evidence: anonymised pulses (required) and, ' +
      'separately, reflections',
  });

const CreateCrew = z
  .object({
    name: text(60),
    purpose: text(200),
    maxSize: z.number().int('must be a whole number').min(3, 'must be 3–30').max(30, 'must be 3–30'),
    joinable: z.boolean(),
    timezone: timeZone,
    pulseK: z
      .number()
      .int('must be a whole number')
      .min(MIN_PULSE_K, `must be at least ${MIN_PULSE_K}`)
      .max(30, 'must be at most 30')
      .default(MIN_PULSE_K),
    tone: z
      .enum(TONES)
      .default(CREW_DEFAULT_TONE)
      .openapi({
        description: `The voice of the crew's weekly challenge text and end-summary narrative (default ${CREW_DEFAULT_TONE})`,
      }),
    organiserMemberId: uuid('a member id'),
    consent: Consent,
    requestId: text(100).optional(),
  })
  .openapi('CreateCrew');

const JoinCrew = z
  .object({
    memberId: uuid('a member id'),
    joinCode: z
      .string()
      .regex(/^[A-Za-z0-9]{6}$/, 'must be the 6-character join code')
      .optional()
      .openapi({ pattern: '^[A-Za-z0-9]{6}$' }),
    consent: Consent,
    requestId: text(100).optional(),
  })
  .openapi('JoinCrew');

const CrewJson = z
  .object({
    id: z.string(),
    name: z.string(),
    purpose: z.string(),
    maxSize: z.number().int(),
    joinable: z.boolean(),
    joinCode: z.string(),
    timezone: z.string(),
    pulseK: z.number().int(),
    tone: z.enum(TONES),
    memberCount: z.number().int(),
    createdAt: z.string(),
  })
  .openapi('Crew');

const MembershipJson = z
  .object({
    crewId: z.string(),
    memberId: z.string(),
    role: z.enum(['organiser', 'member']),
    sharePulses: z.boolean(),
    shareReflections: z.boolean(),
    joinedAt: z.string(),
    leftAt: z.string().nullable(),
  })
  .openapi('CrewMembership');

const CrewDetailJson = CrewJson.extend({ members: z.array(MembershipJson) }).openapi('CrewDetail');

const CreateChallenge = z
  .object({
    title: text(80),
    days: z
      .number()
      .int('must be a whole number')
      .min(1, `must be 1–${MAX_CHALLENGE_DAYS}`)
      .max(MAX_CHALLENGE_DAYS, `must be 1–${MAX_CHALLENGE_DAYS}`),
    startDate: localDate.refine((d) => {
      // From yesterday (a zone behind UTC may still be on it) to a year ahead.
      const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
      return d >= day(-1) && d <= day(366);
    }, 'must be from today to a year ahead'),
    minSize: z
      .number()
      .int('must be a whole number')
      .min(3, 'must be 3–30')
      .max(30, 'must be 3–30')
      .default(3),
    goal: z
      .object({
        target: z
          .number()
          .positive('must be positive')
          .max(MAX_GOAL_TARGET, `must be at most ${MAX_GOAL_TARGET}`)
          .multipleOf(0.01, 'at most 2 decimals'),
        unit: z
          .string()
          .trim()
          .regex(/^\p{L}[\p{L} ]{0,19}$/u, 'must be 1–20 letters, e.g. workouts or km')
          .openapi({ pattern: '^\\p{L}[\\p{L} ]{0,19}$' }),
      })
      .optional()
      .openapi('CrewGoal', { description: 'A shared target the whole crew counts towards, e.g. 200 km' }),
  })
  .openapi('CreateChallenge');

const Figures = z.object({
  responded: z.number().int(),
  done: z.number().int(),
  energyCount: z.number().int(),
  energySum: z.number().int(),
});
const ChallengeJson = z
  .object({
    challengeId: z.string(),
    crewId: z.string(),
    title: z.string(),
    status: z.enum(CHALLENGE_STATUSES),
    days: z.number().int(),
    startDate: z.string(),
    extended: z.boolean(),
    minSize: z.number().int(),
    k: z.number().int(),
    memberCount: z.number().int(),
    endsAt: z.string().nullable(),
    pulses: z.array(
      z.object({
        day: z.number().int(),
        published: z.boolean(),
        figures: Figures.nullable(),
        suppressed: z.enum(['below_k', 'difference_below_k']).nullable(),
      }),
    ),
    summary: z.string().nullable(),
    narrative: z.string().nullable().optional().openapi({
      description: "The end summary's narrative in the crew's tone (AI-worded, or its template)",
    }),
    cancelReason: z.string().nullable(),
    goal: z
      .object({
        unit: z.string(),
        target: z.number(),
        total: z.number(),
        percent: z.number().int(),
        reached: z.boolean(),
        reachedAt: z.string().nullable(),
        contributions: z.number().int(),
      })
      .nullable()
      .openapi('CrewGoalProgress'),
    milestones: z.array(
      z.object({
        id: z.string().openapi({ pattern: MILESTONE_IDS_PATTERN }),
        reachedAt: z.string(),
      }),
    ),
  })
  .openapi('CrewChallenge', {
    description: 'Live from the workflow. Withheld pulses are listed with `published: false` and the reason.',
  });

const Answer = z
  .object({
    memberId: uuid('a member id'),
    localDate,
    done: z.boolean(),
    energy: z.number().int('must be a whole number').min(1, 'must be 1–5').max(5, 'must be 1–5').optional(),
    reflection: text(1000).nullable().optional(),
  })
  .openapi('PulseAnswer');

const Contribution = z
  .object({
    memberId: uuid('a member id'),
    amount: z
      .number()
      .positive('must be positive')
      .max(MAX_GOAL_AMOUNT, `must be at most ${MAX_GOAL_AMOUNT}`)
      .multipleOf(0.01, 'at most 2 decimals'),
    unit: text(20).optional(),
  })
  .openapi('GoalContribution');
const ContributionResultJson = z
  .object({
    counted: z.boolean(),
    duplicate: z.boolean(),
    total: z.number(),
    target: z.number(),
    reached: z.boolean(),
  })
  .openapi('GoalContributionResult');
const idempotencyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{8,100}$/, 'must be 8–100 visible ASCII characters, unique per contribution')
    .openapi({
      param: { name: 'idempotency-key', in: 'header' },
      pattern: '^[\\x21-\\x7e]{8,100}$',
      description: 'A retried request with the same key counts once',
    }),
});
const AliasBody = z
  .object({
    memberId: uuid('a member id'),
    alias: text(24).nullable(),
  })
  .openapi('LeaderboardAlias', { description: 'Opt in under an alias (not a name), or out with null' });
const LeaderboardJson = z
  .object({
    rows: z.array(
      z.object({
        rank: z.number().int(),
        alias: z.string(),
        total: z.number(),
        contributions: z.array(z.object({ amount: z.number(), at: z.string() })),
      }),
    ),
  })
  .openapi('CrewLeaderboard');

const crewIdParam = z.object({ id: uuid('a crew id').openapi({ param: { name: 'id', in: 'path' } }) });
const challengeIdParam = z.object({
  id: uuid('a challenge id').openapi({ param: { name: 'id', in: 'path' } }),
});
const membershipParams = z.object({
  id: uuid('a crew id').openapi({ param: { name: 'id', in: 'path' } }),
  memberId: uuid('a member id').openapi({ param: { name: 'memberId', in: 'path' } }),
});

// ---- helpers

const crewJson = (crew: Crew, memberCount: number) => ({
  id: crew.id,
  name: crew.name,
  purpose: crew.purpose,
  maxSize: crew.maxSize,
  joinable: crew.joinable,
  joinCode: crew.joinCode,
  timezone: crew.timezone,
  pulseK: crew.pulseK,
  tone: crew.tone,
  memberCount,
  createdAt: crew.createdAt.toISOString(),
});
const membershipJson = (m: CrewMember) => ({
  crewId: m.crewId,
  memberId: m.memberId,
  role: m.role,
  sharePulses: m.sharePulses,
  shareReflections: m.shareReflections,
  joinedAt: m.joinedAt.toISOString(),
  leftAt: m.leftAt?.toISOString() ?? null,
});
const notFound = (what: string, field: string) =>
  new HttpProblem({
    title: 'Not found',
    status: 404,
    detail: `No such ${what}.`,
    errors: [{ field, message: 'not found' }],
  });

/** Tells the crew's running challenges (a finished one is gone: nothing to tell). */
async function tellChallenges(db: Db, temporal: Client, crewId: string, tell: (id: string) => Promise<void>) {
  for (const ch of await challengesOfCrew(db, crewId)) {
    try {
      await tell(crewChallengeWorkflowId(ch.id));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
}

// ---- routes

const tags = ['Crews'];

const createCrewRoute = createRoute({
  method: 'post',
  path: '/',
  tags,
  summary:
    'Create a crew; its organiser is its first member (with the same explicit consent as anyone joining)',
  request: { body: jsonBody(CreateCrew) },
  responses: {
    201: {
      ...jsonResponse(CrewDetailJson, 'Created'),
      headers: z.object({ location: z.string().openapi({ description: '/crews/<id>' }) }),
    },
    ...problems(404, ...BODY_PROBLEMS),
  },
});
const listCrewsRoute = createRoute({
  method: 'get',
  path: '/',
  tags,
  summary: 'List joinable crews (newest first)',
  request: {
    query: z.object({
      limit: limit(20, 100),
      before: uuid('the nextBefore of the previous page').optional(),
    }),
  },
  responses: {
    200: jsonResponse(
      z.object({ crews: z.array(CrewJson), nextBefore: z.string().nullable() }),
      'A page of crews',
    ),
    ...problems(),
  },
});
const getCrewRoute = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  summary: 'A crew with its current members (ids and roles only)',
  request: { params: crewIdParam },
  responses: { 200: jsonResponse(CrewDetailJson, 'The crew'), ...problems(404) },
});
const joinRoute = createRoute({
  method: 'post',
  path: '/{id}/members',
  tags,
  summary: 'Join a crew (join code needed when invite-only); consent recorded in the consent ledger',
  request: { params: crewIdParam, body: jsonBody(JoinCrew) },
  responses: {
    200: jsonResponse(MembershipJson, 'Already a member: unchanged'),
    201: jsonResponse(MembershipJson, 'Joined'),
    ...problems(403, 404, 409, 503, ...BODY_PROBLEMS),
  },
});
const leaveRoute = createRoute({
  method: 'delete',
  path: '/{id}/members/{memberId}',
  tags,
  summary: 'Leave a crew: the sharing consents are withdrawn in the ledger; running challenges are told',
  request: { params: membershipParams },
  responses: { 200: jsonResponse(MembershipJson, 'The ended membership'), ...problems(404, 503) },
});
const createChallengeRoute = createRoute({
  method: 'post',
  path: '/{id}/challenges',
  tags,
  summary: 'Start a time-boxed challenge (1–90 days): its workflow gates the start on the minimum size',
  request: { params: crewIdParam, body: jsonBody(CreateChallenge) },
  responses: {
    201: {
      ...jsonResponse(ChallengeJson, 'Started'),
      headers: z.object({ location: z.string().openapi({ description: '/challenges/<id>' }) }),
    },
    ...problems(404, 503, ...BODY_PROBLEMS),
  },
});

const ChallengeListItem = z
  .object({
    challengeId: z.string(),
    title: z.string(),
    days: z.number().int(),
    startDate: z.string(),
    minSize: z.number().int(),
    createdAt: z.string(),
  })
  .openapi('CrewChallengeListItem', { description: 'As created; GET /challenges/{id} has the live state' });
const listChallengesRoute = createRoute({
  method: 'get',
  path: '/{id}/challenges',
  tags,
  summary: "A crew's challenges, newest first",
  request: { params: crewIdParam },
  responses: {
    200: jsonResponse(z.object({ challenges: z.array(ChallengeListItem) }), "The crew's challenges"),
    ...problems(404),
  },
});

export function crewsRouter(deps: AppDeps) {
  const { db, temporal } = deps;
  return createRouter()
    .openapi(createCrewRoute, async (c) => {
      const b = c.req.valid('json');
      const created = await createCrew(db, {
        ...b,
        evidence: { via: 'api', ...(b.requestId && { reference: b.requestId }) },
      });
      if ('outcome' in created) throw notFound('member', 'organiserMemberId');
      return c.json({ ...crewJson(created.crew, 1), members: [membershipJson(created.membership)] }, 201, {
        location: `/crews/${created.crew.id}`,
      });
    })
    .openapi(listCrewsRoute, async (c) => {
      const q = c.req.valid('query');
      const rows = await listJoinableCrews(db, q.limit, q.before);
      const p = page(rows, q.limit, (r) => r.crew.id);
      return c.json(
        { crews: p.items.map((r) => crewJson(r.crew, r.memberCount)), nextBefore: p.nextBefore },
        200,
      );
    })
    .openapi(getCrewRoute, async (c) => {
      const { id } = c.req.valid('param');
      const crew = await findCrew(db, id);
      if (!crew) throw notFound('crew', 'id');
      const current = await crewMembership(db, id);
      return c.json({ ...crewJson(crew, current.length), members: current.map(membershipJson) }, 200);
    })
    .openapi(joinRoute, async (c) => {
      const { id } = c.req.valid('param');
      const b = c.req.valid('json');
      const res = await joinCrew(db, {
        crewId: id,
        memberId: b.memberId,
        joinCode: b.joinCode,
        consent: b.consent,
        evidence: { via: 'api', ...(b.requestId && { reference: b.requestId }) },
      });
      switch (res.outcome) {
        case 'no_crew':
          throw notFound('crew', 'id');
        case 'no_member':
          throw notFound('member', 'memberId');
        case 'wrong_code':
          throw new HttpProblem({
            title: 'Forbidden',
            status: 403,
            detail: 'This crew is invite-only: the join code is missing or wrong.',
            errors: [{ field: 'joinCode', message: 'is missing or wrong' }],
          });
        case 'full':
          throw new HttpProblem({
            title: 'Conflict',
            status: 409,
            detail: 'The crew is full.',
            errors: [{ field: 'id', message: 'the crew has reached its size' }],
          });
        case 'already_member':
          return c.json(membershipJson(res.membership), 200);
        case 'joined': {
          const [m] = await db
            .select({ timezone: members.timezone })
            .from(members)
            .where(eq(members.id, b.memberId));
          await tellChallenges(db, temporal, id, (wf) =>
            temporal.workflow
              .getHandle(wf)
              .signal(joinChallengeSignal, { memberId: b.memberId, timezone: m!.timezone }),
          );
          return c.json(membershipJson(res.membership), 201);
        }
      }
    })
    .openapi(leaveRoute, async (c) => {
      const { id, memberId } = c.req.valid('param');
      const left = await leaveCrew(db, { crewId: id, memberId, evidence: { via: 'api' } });
      if (!left) throw notFound('membership', 'memberId');
      await tellChallenges(db, temporal, id, (wf) =>
        temporal.workflow.getHandle(wf).signal(leaveChallengeSignal, { memberId }),
      );
      return c.json(membershipJson(left), 200);
    })
    .openapi(listChallengesRoute, async (c) => {
      const { id } = c.req.valid('param');
      if (!(await findCrew(db, id))) throw notFound('crew', 'id');
      const rows = await challengesOfCrew(db, id);
      return c.json(
        {
          challenges: rows.map((r) => ({
            challengeId: r.id,
            title: r.title,
            days: r.days,
            startDate: r.startDate,
            minSize: r.minSize,
            createdAt: r.createdAt.toISOString(),
          })),
        },
        200,
      );
    })
    .openapi(createChallengeRoute, async (c) => {
      const { id } = c.req.valid('param');
      const b = c.req.valid('json');
      const crew = await findCrew(db, id);
      if (!crew) throw notFound('crew', 'id');
      const current = await crewMembership(db, id);
      const zones = current.length
        ? await db
            .select({ memberId: members.id, timezone: members.timezone })
            .from(members)
            .where(
              inArray(
                members.id,
                current.map((m) => m.memberId),
              ),
            )
        : [];
      const challengeId = randomUUID();
      const input: CrewChallengeInput = {
        challengeId,
        crewId: id,
        title: b.title,
        days: b.days,
        startDate: b.startDate,
        timezone: crew.timezone,
        minSize: b.minSize,
        k: crew.pulseK,
        tone: crew.tone,
        members: zones,
        ...(b.goal && { goal: b.goal }),
      };
      // Row and workflow together: if the workflow cannot be started the row is rolled back.
      await db.transaction(async (tx) => {
        await insertChallenge(tx, {
          id: challengeId,
          crewId: id,
          title: b.title,
          days: b.days,
          startDate: b.startDate,
          minSize: b.minSize,
        });
        await temporal.workflow.start(CREW_CHALLENGE_WORKFLOW_TYPE, {
          taskQueue: TASK_QUEUE,
          workflowId: crewChallengeWorkflowId(challengeId),
          args: [input],
          typedSearchAttributes: [
            { key: CREW_ID_SA, value: id },
            { key: CHALLENGE_STATUS_SA, value: 'gathering' },
            { key: CHALLENGE_MEMBER_IDS_SA, value: zones.map((z) => z.memberId).sort() },
          ],
          staticSummary: `Crew challenge ${challengeId} (crew ${id})`,
          staticDetails: `${b.days} days from ${b.startDate}, at least ${b.minSize} members, pulse k ${crew.pulseK}`,
        });
      });
      const view: ChallengeView = {
        challengeId,
        crewId: id,
        title: b.title,
        status: 'gathering',
        days: b.days,
        startDate: b.startDate,
        extended: false,
        minSize: b.minSize,
        k: crew.pulseK,
        memberCount: zones.length,
        endsAt: null,
        pulses: [],
        summary: null,
        cancelReason: null,
        goal: b.goal
          ? {
              unit: b.goal.unit,
              target: b.goal.target,
              total: 0,
              percent: 0,
              reached: false,
              reachedAt: null,
              contributions: 0,
            }
          : null,
        milestones: [],
      };
      return c.json(view, 201, { location: `/challenges/${challengeId}` });
    });
}

// ---- /challenges

const ctags = ['Crew challenges'];
const getChallengeRoute = createRoute({
  method: 'get',
  path: '/{id}',
  tags: ctags,
  summary: 'A challenge, live from its workflow: status, pulses (withheld ones marked), summary',
  request: { params: challengeIdParam },
  responses: { 200: jsonResponse(ChallengeJson, 'The challenge'), ...problems(404, 503) },
});
const answerRoute = createRoute({
  method: 'post',
  path: '/{id}/answers',
  tags: ctags,
  summary: "A member's pulse answer for their local day (or yesterday within the 24 h grace)",
  request: { params: challengeIdParam, body: jsonBody(Answer) },
  responses: {
    200: jsonResponse(
      z.object({ day: z.number().int(), counted: z.boolean() }).openapi('PulseAnswerResult'),
      'Counted',
    ),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});
const cancelRoute = createRoute({
  method: 'post',
  path: '/{id}/cancel',
  tags: ctags,
  summary: 'Cancel a challenge: members are told why; the workflow ends',
  request: {
    params: challengeIdParam,
    body: jsonBody(z.object({ reason: text(120) }).openapi('CancelChallenge')),
  },
  responses: {
    202: jsonResponse(z.object({ accepted: z.boolean() }), 'The workflow was told'),
    ...problems(404, 503, ...BODY_PROBLEMS),
  },
});

const contributeRoute = createRoute({
  method: 'post',
  path: '/{id}/contributions',
  tags: ctags,
  summary: 'Add to the group goal (counted once per Idempotency-Key, even when retried or sent concurrently)',
  request: { params: challengeIdParam, headers: idempotencyHeader, body: jsonBody(Contribution) },
  responses: {
    200: jsonResponse(ContributionResultJson, 'Counted, or already counted under this key'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});
const leaderboardRoute = createRoute({
  method: 'get',
  path: '/{id}/leaderboard',
  tags: ctags,
  summary: 'The opt-in leaderboard: aliases only, each with the contributions that make its total',
  request: { params: challengeIdParam },
  responses: { 200: jsonResponse(LeaderboardJson, 'The leaderboard'), ...problems(404, 503) },
});
const aliasRoute = createRoute({
  method: 'post',
  path: '/{id}/leaderboard',
  tags: ctags,
  summary: 'A member opts in to the leaderboard under an alias (never their name), or out with alias null',
  request: { params: challengeIdParam, body: jsonBody(AliasBody) },
  responses: {
    200: jsonResponse(z.object({ alias: z.string().nullable() }), 'The alias now shown (null: not shown)'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});
const raiseKRoute = createRoute({
  method: 'post',
  path: '/{id}/k',
  tags: ctags,
  summary: "Raise the crew pulse's k for the rest of the challenge (it can never be lowered)",
  request: {
    params: challengeIdParam,
    body: jsonBody(
      z
        .object({
          k: z
            .number()
            .int('must be a whole number')
            .min(MIN_PULSE_K, `must be at least ${MIN_PULSE_K}`)
            .max(MAX_CHALLENGE_K, `must be at most ${MAX_CHALLENGE_K}`),
        })
        .openapi('RaiseK'),
    ),
  },
  responses: {
    200: jsonResponse(z.object({ k: z.number().int() }), 'The k now in force'),
    ...problems(404, 422, 503, ...BODY_PROBLEMS),
  },
});

/** The alias must not be (or contain) the member's name or a part of it of 3+ letters. */
function aliasShowsName(alias: string, name: string): boolean {
  const a = alias.toLowerCase();
  return name
    .toLowerCase()
    .split(/[^\p{L}]+/u)
    .some((part) => part.length >= 3 && a.includes(part));
}

export function challengesRouter(deps: AppDeps) {
  const { db, temporal } = deps;
  const handle = async (id: string) => {
    if (!(await findChallenge(db, id))) throw notFound('challenge', 'id');
    return temporal.workflow.getHandle(crewChallengeWorkflowId(id));
  };
  return createRouter()
    .openapi(getChallengeRoute, async (c) => {
      const { id } = c.req.valid('param');
      return c.json(await (await handle(id)).query(challengeStateQuery), 200);
    })
    .openapi(answerRoute, async (c) => {
      const { id } = c.req.valid('param');
      const b = c.req.valid('json');
      const res = await (
        await handle(id)
      ).executeUpdate(answerUpdate, {
        args: [aboutSubject(subjectOf('member', b.memberId), b)],
      });
      return c.json(unmarked(res), 200);
    })
    .openapi(contributeRoute, async (c) => {
      const { id } = c.req.valid('param');
      const key = `api:${c.req.valid('header')['idempotency-key']}`;
      const b = c.req.valid('json');
      const res = await (
        await handle(id)
      ).executeUpdate(contributeUpdate, {
        // The amount is the member's habit data: sealed with their key in the history (input and answer).
        args: [
          markedFor('member', b.memberId, {
            memberId: b.memberId,
            amount: b.amount,
            unit: b.unit ?? null,
            key,
          }),
        ],
      });
      return c.json(unmarked(res), 200);
    })
    .openapi(leaderboardRoute, async (c) => {
      const { id } = c.req.valid('param');
      return c.json({ rows: await (await handle(id)).query(leaderboardQuery) }, 200);
    })
    .openapi(aliasRoute, async (c) => {
      const { id } = c.req.valid('param');
      const b = c.req.valid('json');
      const h = await handle(id);
      if (b.alias !== null) {
        const [m] = await db.select({ name: members.name }).from(members).where(eq(members.id, b.memberId));
        if (m && aliasShowsName(b.alias, m.name))
          throw new HttpProblem({
            title: 'Unprocessable',
            status: 422,
            detail: 'An alias must not show the member’s name.',
            errors: [{ field: 'alias', message: 'must not contain your name' }],
          });
      }
      // The alias is the member's personal data: sealed with their key in the history (input and answer).
      const r = await h.executeUpdate(leaderboardAliasUpdate, { args: [markedFor('member', b.memberId, b)] });
      return c.json(unmarked(r), 200);
    })
    .openapi(raiseKRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { k } = c.req.valid('json');
      return c.json(await (await handle(id)).executeUpdate(raiseKUpdate, { args: [{ k }] }), 200);
    })
    .openapi(cancelRoute, async (c) => {
      const { id } = c.req.valid('param');
      const { reason } = c.req.valid('json');
      await (await handle(id)).signal(cancelChallengeSignal, { reason });
      return c.json({ accepted: true }, 202);
    });
}

// ---- /members/:id/crews

const memberCrewsRoute = createRoute({
  method: 'get',
  path: '/',
  tags,
  summary: "A member's current crews with their role",
  request: { params: memberIdParam },
  responses: {
    200: jsonResponse(
      z.object({ crews: z.array(z.object({ crew: CrewJson, membership: MembershipJson })) }),
      "The member's crews",
    ),
    ...problems(404),
  },
});

export function memberCrewsRouter(deps: AppDeps) {
  const { db } = deps;
  return createRouter().openapi(memberCrewsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const [m] = await db.select({ id: members.id }).from(members).where(eq(members.id, id));
    if (!m) throw notFound('member', 'id');
    const rows = await crewsOfMember(db, id);
    const out = [];
    for (const r of rows) {
      const count = (await crewMembership(db, r.crew.id)).length;
      out.push({ crew: crewJson(r.crew, count), membership: membershipJson(r.membership) });
    }
    return c.json({ crews: out }, 200);
  });
}
