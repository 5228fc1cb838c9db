/**
 * The optimiser's fake activities for the mentorship workflow tests on the time-skipping server, typed against
 * the real ones where it matters: the optimiser and the cohort plan answer from maps the test fills (their Postgres
 * and HiGHS side is tested in test/api/mentorship-optimiser.test.ts and test/unit/mentorship-solver.test.ts), the
 * SMS is recorded, and `reserveMentorSlot` is the real activity (an update on `mentor-<id>` through the worker's
 * client), so capacity is held by the mentors' own workflows.
 *
 * Each scenario that skips time has its own file (its own test server): on a loaded machine a workflow task can
 * still be in flight when a previous test terminates its workflows, and the time-skipping server's clock can then
 * stay locked, so a later skip waits in real time (what made these cases time out under the full suite).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createMentorshipActivities } from '../../activities/mentorship.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import type { Db } from '../../db/client.js';
import type { CohortPlanEntry } from '../../workflows/mentorship-cohort/definitions.js';
import type { Candidate } from '../../workflows/mentorship-match/definitions.js';
import { mentorshipStarters, testCandidate } from '../helpers/mentorship.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

type Real = ReturnType<typeof createMentorshipActivities>;

export const H = 3_600_000;
/** Generous: the CI runs several test files at once on 2 cores. */
export const WAIT_MS = 120_000;

export function optimiserScenario() {
  const sent: Array<SendSmsInput & { memberId: string | null }> = [];
  const candidatesOf = new Map<string, Candidate[]>();
  /** What the fake optimiser answers, per match, in order (undefined: nothing fits; 'fail': it fails). */
  const picksOf = new Map<string, Array<Candidate | 'fail'>>();
  const optimiserCalls: Array<{ matchId: string; exclude: string[] }> = [];
  const plans = new Map<string, CohortPlanEntry[]>();
  const planCalls: Array<{ cohortId: string; matchIds: string[] }> = [];

  const real = createMentorshipActivities({ db: null as unknown as Db });
  const activities = {
    async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
      sent.push({ ...input, memberId: 'memberId' in input.to ? input.to.memberId : null });
      return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
    },
    async rankMentorsForMatch(input: Parameters<Real['rankMentorsForMatch']>[0]): Promise<Candidate[]> {
      return candidatesOf.get(input.matchId) ?? [];
    },
    async optimiseForMatch(
      input: Parameters<Real['optimiseForMatch']>[0],
    ): ReturnType<Real['optimiseForMatch']> {
      optimiserCalls.push({ matchId: input.matchId, exclude: input.exclude });
      const next = picksOf.get(input.matchId)?.shift();
      if (next === 'fail') throw ApplicationFailure.nonRetryable('solver broke', 'SolverError');
      return next
        ? { candidate: next, reason: null }
        : {
            candidate: null,
            reason: 'optimiser: no mentor with a free slot and not yet offered scores at least 0.5',
          };
    },
    async planCohort(input: Parameters<Real['planCohort']>[0]): ReturnType<Real['planCohort']> {
      planCalls.push({ cohortId: input.cohortId, matchIds: input.matchIds });
      return plans.get(input.cohortId) ?? [];
    },
    async recordOffer(): Promise<void> {},
    async setMatchStatus(): Promise<void> {},
    reserveMentorSlot: (input: Parameters<Real['reserveMentorSlot']>[0]) => real.reserveMentorSlot(input),
  };

  const t = timeSkippingWorkers(activities);

  const { startMentor, startMatch } = mentorshipStarters(t);
  /**
   * Waits for a workflow to close by polling its status, not `result()`: awaiting a result lets the time-skipping
   * server skip ahead to any workflow's next timer (the mentors' 10-year execution timeout included).
   */
  const closed = (h: { describe(): Promise<{ status: { name: string } }> }) =>
    waitFor(async () => (await h.describe()).status.name !== 'RUNNING', 'the workflow to close', WAIT_MS);
  const candidate = testCandidate;
  const kindsTo = (memberId: string) => sent.filter((s) => s.memberId === memberId).map((s) => s.kind);
  /** Offers wait for the mentor's daytime (UTC here): start the scenario at 10:00 UTC. */
  async function toMorning() {
    const now = await t.env.currentTimeMs();
    const d = new Date(now);
    d.setUTCHours(10, 0, 0, 0);
    if (d.getTime() <= now) d.setUTCDate(d.getUTCDate() + 1);
    await skipTo(t.env, d);
  }

  return {
    t,
    sent,
    candidatesOf,
    picksOf,
    optimiserCalls,
    plans,
    planCalls,
    startMentor,
    startMatch,
    closed,
    candidate,
    kindsTo,
    toMorning,
  };
}
