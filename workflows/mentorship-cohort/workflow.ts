/**
 * The mentorship cohort workflow (`mentorship-cohort-<id>`): an operator collects requests for a window and the
 * whole cohort is assigned at once. Read it from the top: handlers, then the process — wait for the window to
 * close (a timer) or the operator's assign, plan with the optimiser (max total score under the mentors' free
 * slots, only pairs at or above the fit threshold), reserve every pair through the mentor's own workflow (the
 * capacity update that checks and reserves in one step, so concurrent accepts can never over-book), fall back to
 * the next best fitting mentor when capacity refuses, and tell each request its mentor or the operator-queue
 * reason. No personal data in input or state: ids, and the plan's candidates with each one's zone, windows and
 * score sealed under its mentor's and its mentee's keys (mentorship-match/sealed.ts).
 */
import {
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createMentorshipActivities } from '../../activities/mentorship.js';
import { DB_WRITE, OPTIMISE } from '../lib/activity-options.js';
import { invalidInput } from '../lib/failures.js';
import { mentorshipMatchWorkflowId, mentorWorkflowId } from '../ids.js';
import { cohortAssignedSignal, type CohortAssignment } from '../mentorship-match/definitions.js';
import { candidateSubjects, openCandidate } from '../mentorship-match/sealed.js';
import { markedForAll, type Subject } from '../lib/subject.js';
import { releaseSlotSignal } from '../mentor/definitions.js';
import { COHORT_ID_SA } from '../mentorship-match/search-attributes.js';
import { MIN_FIT_SCORE } from '../mentorship-match/values.js';
import {
  assignCohortUpdate,
  cohortStateQuery,
  COHORT_LIMITS,
  joinCohortUpdate,
  type CohortAssignmentView,
  type CohortPlanEntry,
  type CohortSnapshot,
  type CohortStatus,
  type CohortWorkflowInput,
} from './definitions.js';
import { cohortReport, type CohortReport } from './report.js';

export type { CohortSnapshot, CohortWorkflowInput } from './definitions.js';

/**
 * A request whose workflow is gone when the cohort answers (its mentee was erased meanwhile, and the request
 * ended): the slot the cohort reserved for it is released, not held for ever. Runs from before kept it.
 */
export const COHORT_RELEASE_UNREACHABLE_PATCH = 'mentorship-cohort-release-unreachable';

/** The mentor's slot (an update on `mentor-<id>`): the mentorship group, as the match workflow proxies it. */
const mx = proxyActivities<ReturnType<typeof createMentorshipActivities>>(DB_WRITE);
/** The optimiser's plan: the same group, with room for a large solve. */
const opt = proxyActivities<ReturnType<typeof createMentorshipActivities>>(OPTIMISE);
/** Reservations and notices run this many at a time. */
const PARALLEL = 20;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function mentorshipCohortWorkflow(input: CohortWorkflowInput): Promise<void> {
  const { cohortId } = input;
  const closesAtMs =
    input.closesAt !== undefined
      ? Date.parse(input.closesAt)
      : workflowInfo().runStartTime.getTime() +
        (input.windowHours ?? COHORT_LIMITS.defaultWindowHours) * 3_600_000;
  const closesAt = new Date(closesAtMs).toISOString();
  let status: CohortStatus = 'collecting';
  let assignNow = false;
  const requests: string[] = [];
  const assignments: CohortAssignmentView[] = [];
  let report: CohortReport | null = null;

  const snapshot = (): CohortSnapshot => ({
    cohortId,
    status,
    closesAt,
    requests: [...requests],
    assignments: assignments.map((a) => ({ ...a })),
    report,
  });
  /** Whom each placed assignment is about (its candidate's mentor and mentee), by match id. */
  const assignedTo = new Map<string, Subject[]>();
  /**
   * The snapshot as the assign update answers it (stored in the history): each assignment's score and pick
   * sealed under its mentor's and mentee's keys (README "Privacy"); the query's answer is not stored.
   */
  const sealedSnapshot = (): CohortSnapshot => {
    const s = snapshot();
    return { ...s, assignments: s.assignments.map((a) => markedForAll(assignedTo.get(a.matchId) ?? [], a)) };
  };
  const publish = () =>
    setCurrentDetails(
      [
        `**${status}**`,
        `window closes ${closesAt}; ${requests.length} requests`,
        report
          ? `assigned ${report.assigned}/${report.requests}, min ${report.minScore ?? '-'}, median ${report.medianScore ?? '-'}, first choices ${report.firstChoiceShare ?? '-'}, fallbacks ${report.fallbacks}`
          : null,
      ]
        .filter(Boolean)
        .join('\n\n'),
    );

  setHandler(cohortStateQuery, snapshot);
  setHandler(
    joinCohortUpdate,
    ({ matchId }) => {
      if (!requests.includes(matchId)) requests.push(matchId);
      return snapshot();
    },
    {
      validator: ({ matchId }) => {
        if (typeof matchId !== 'string' || !UUID.test(matchId))
          throw invalidInput('matchId', 'must be a UUID');
        if (status !== 'collecting') throw invalidInput('cohortId', `cohort is ${status}, not collecting`);
        if (!requests.includes(matchId) && requests.length >= COHORT_LIMITS.maxRequests)
          throw invalidInput('cohortId', `cohort is full (${COHORT_LIMITS.maxRequests} requests)`);
      },
    },
  );
  setHandler(
    assignCohortUpdate,
    async () => {
      assignNow = true;
      await condition(() => status === 'assigned');
      return sealedSnapshot();
    },
    {
      validator: () => {
        if (status !== 'collecting') throw invalidInput('status', `cohort is ${status}, not collecting`);
      },
    },
  );
  if (workflowInfo().typedSearchAttributes.get(COHORT_ID_SA) === undefined) {
    upsertSearchAttributes([{ key: COHORT_ID_SA, value: cohortId }]);
  }

  // ---- 1. collect requests until the window closes (a timer) or the operator assigns -------------------------
  publish();
  await condition(() => assignNow, Math.max(1, closesAtMs - Date.now()));
  status = 'assigning';
  publish();

  // ---- 2. the optimiser's plan over the whole cohort -----------------------------------------------------
  const plan: CohortPlanEntry[] =
    requests.length === 0 ? [] : await opt.planCohort({ cohortId, matchIds: [...requests] });

  // ---- 3. every pair through the mentor's capacity update; refused → the next best; none → operator queue ---
  /** Slots this cohort saw refused: a mentor who refused once is full for the rest of the cohort. */
  const full = new Set<string>();
  const outcomes = new Map<string, CohortAssignment & { view: CohortAssignmentView }>();
  // The optimiser's picks first (all of them), then the fallbacks: a refused pick never takes a slot the
  // plan gave another request.
  await inBatches(plan, async (entry) => {
    const pick = entry.choices[0];
    if (pick && !full.has(pick.mentorId)) {
      const { reserved } = await mx.reserveMentorSlot({ mentorId: pick.mentorId, matchId: entry.matchId });
      if (reserved) return void outcomes.set(entry.matchId, placed(entry, 0));
      full.add(pick.mentorId);
    }
  });
  for (const entry of plan) {
    if (outcomes.has(entry.matchId)) continue;
    let done = false;
    for (let i = 1; i < entry.choices.length && !done; i++) {
      const c = entry.choices[i]!;
      if (full.has(c.mentorId)) continue;
      const { reserved } = await mx.reserveMentorSlot({ mentorId: c.mentorId, matchId: entry.matchId });
      if (reserved) {
        outcomes.set(entry.matchId, placed(entry, i));
        done = true;
      } else full.add(c.mentorId);
    }
    if (!done) {
      const reason =
        entry.choices.length === 0
          ? `cohort ${cohortId}: no mentor with a free slot scores at least ${MIN_FIT_SCORE} for this request, or every one that does fits others better`
          : `cohort ${cohortId}: every fitting mentor was full when assigned`;
      outcomes.set(entry.matchId, {
        cohortId,
        candidate: null,
        reason,
        view: {
          matchId: entry.matchId,
          mentorId: null,
          score: null,
          firstChoice: false,
          fallback: false,
          reason,
        },
      });
    }
  }
  for (const entry of plan) assignments.push(outcomes.get(entry.matchId)!.view);
  report = cohortReport(assignments);

  // ---- 4. tell every request (a request whose workflow is gone is logged and its slot released) -------------
  await inBatches(plan, async (entry) => {
    const { view: _v, ...assignment } = outcomes.get(entry.matchId)!;
    try {
      await getExternalWorkflowHandle(mentorshipMatchWorkflowId(entry.matchId)).signal(
        cohortAssignedSignal,
        assignment,
      );
    } catch {
      log.warn('cohort request workflow not reachable', { cohortId, matchId: entry.matchId });
      const c = assignment.candidate;
      if (c && patched(COHORT_RELEASE_UNREACHABLE_PATCH)) {
        try {
          await getExternalWorkflowHandle(mentorWorkflowId(c.mentorId)).signal(releaseSlotSignal, {
            matchId: entry.matchId,
          });
        } catch {
          log.warn('mentor workflow not reachable to release the slot', { cohortId, mentorId: c.mentorId });
        }
      }
    }
  });
  status = 'assigned';
  publish();
  await condition(allHandlersFinished);

  function placed(entry: CohortPlanEntry, i: number): CohortAssignment & { view: CohortAssignmentView } {
    const c = entry.choices[i]!;
    // The candidate goes on to the request as it came (sealed); the score is read from it here.
    const { score } = openCandidate(c);
    assignedTo.set(entry.matchId, candidateSubjects(c));
    const firstChoice = entry.firstChoiceScore !== null && score >= entry.firstChoiceScore;
    return {
      cohortId,
      candidate: c,
      reason: null,
      view: {
        matchId: entry.matchId,
        mentorId: c.mentorId,
        score,
        firstChoice,
        fallback: i > 0,
        reason: null,
      },
    };
  }
}

/** Runs `fn` over the items, `PARALLEL` at a time, in order. */
async function inBatches<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += PARALLEL) {
    await Promise.all(items.slice(i, i + PARALLEL).map(fn));
  }
}
