/**
 * The mentorship activities (the match workflow's group): rank candidates from Postgres with the pure score,
 * record offers and statuses, and reserve a slot in the mentor's own workflow — an update on `mentor-<id>` that
 * checks capacity and reserves in one step (through the worker's client).
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Db } from '../db/client.js';
import { recordMentorOptIn } from '../db/consent.js';
import {
  currentWeights,
  liveOfferCounts,
  matchesWithMentees,
  matchWithMentee,
  mentorPool,
  offeredMentors,
  setMatchStatus,
  upsertOffer,
  waitingRequestIds,
} from '../db/mentorship.js';
import type { CohortPlanEntry } from '../workflows/mentorship-cohort/definitions.js';
import { MIN_FIT_SCORE } from '../workflows/mentorship-match/values.js';
import { planAssignment, type PlanMentee } from './mentorship-solver.js';
import { fieldErrorsOf } from '../workflows/lib/failures.js';
import { localParts } from '../workflows/lib/time.js';
import { isErased } from '../workflows/lib/subject.js';
import { mentorWorkflowId } from '../workflows/ids.js';
import { reserveSlotUpdate } from '../workflows/mentor/definitions.js';
import type {
  Candidate,
  CandidateIn,
  OfferView,
  SealedCandidate,
} from '../workflows/mentorship-match/definitions.js';
import { sealCandidate, type OfferClock, type OfferRecord } from '../workflows/mentorship-match/sealed.js';
import { rankMentors } from '../workflows/mentorship-match/score.js';
import type { MatchStatus } from '../workflows/mentorship-match/values.js';

/** Minutes the zone is ahead of UTC at `atMs`. */
export function utcOffsetMinutes(tz: string, atMs: number): number {
  const p = localParts(atMs, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(atMs / 1000) * 1000) / 60_000);
}

/** Other waiting requests the optimiser weighs a re-match against (at most this many, oldest first). */
const OPTIMISER_DEMAND = 499;
/** Next best mentors kept per cohort mentee, tried in order when capacity refuses the optimiser's pick. */
const COHORT_FALLBACKS = 3;

export function createMentorshipActivities(deps: { db: Db }) {
  const { db } = deps;

  /**
   * The optimiser's input from Postgres: the requests (their own mentor profile and the mentors already offered
   * them excluded) and every textable mentor with free slots = capacity − active matches − live offers held by
   * other requests (`claimsExceptMatch`: that match's own live offer is not a claim against it).
   */
  async function planInput(
    matchIds: string[],
    extraExclude: Map<string, string[]>,
    claimsExceptMatch: string | null,
  ) {
    const nowMs = Date.now();
    const [rows, pool, claims, offered, weights] = await Promise.all([
      matchesWithMentees(db, matchIds),
      mentorPool(db),
      liveOfferCounts(db, claimsExceptMatch),
      offeredMentors(db, matchIds),
      currentWeights(db),
    ]);
    const byId = new Map(rows.map((r) => [r.match.id, r]));
    const menteeOf = new Map(rows.map((r) => [r.match.id, r.match.menteeMemberId]));
    const mentorOfMember = new Map(pool.map((m) => [m.memberId, m.mentorId]));
    const mentees: PlanMentee[] = [];
    for (const id of matchIds) {
      const r = byId.get(id);
      if (!r) continue;
      const own = mentorOfMember.get(r.match.menteeMemberId);
      mentees.push({
        key: id,
        profile: {
          focusAreas: r.match.focusAreas,
          languages: r.match.languages,
          availability: r.match.availability,
          utcOffsetMinutes: utcOffsetMinutes(r.timezone, nowMs),
        },
        exclude: new Set([
          ...(offered.get(id) ?? []),
          ...(extraExclude.get(id) ?? []),
          ...(own ? [own] : []),
        ]),
      });
    }
    const mentors = pool.map((m) => ({
      profile: {
        mentorId: m.mentorId,
        expertise: m.expertise,
        languages: m.languages,
        availability: m.availability,
        utcOffsetMinutes: utcOffsetMinutes(m.timezone, nowMs),
        capacity: m.capacity,
        activeMentees: m.active,
      },
      free: m.capacity - m.active - (claims.get(m.mentorId) ?? 0),
    }));
    const meta = new Map(pool.map((m) => [m.mentorId, m]));
    /** A pick for a request, sealed under its mentor's and the request's mentee's keys (README "Privacy"). */
    const candidate = (
      matchId: string,
      s: {
        mentorId: string;
        score: number;
        breakdown: Candidate['breakdown'];
        weightsVersion: string;
      },
    ): SealedCandidate => {
      const m = meta.get(s.mentorId)!;
      return sealCandidate(
        {
          mentorId: s.mentorId,
          score: s.score,
          breakdown: s.breakdown,
          weightsVersion: s.weightsVersion,
          mentorMemberId: m.memberId,
          mentorTimezone: m.timezone,
          mentorAvailability: m.availability,
        },
        menteeOf.get(matchId) ?? '',
      );
    };
    return { mentees, mentors, weights, candidate };
  }

  return {
    /**
     * The ranked list ran out: match the remaining pool again with the optimiser. This request and the other
     * waiting ones (status `requested`) share the mentors with free slots (their own live offers and the slots
     * others hold or were offered count against them); the mentor the total-score optimum gives this request is
     * returned — never one already offered it, never one below the fit threshold. Null with the reason otherwise.
     */
    async optimiseForMatch(input: {
      matchId: string;
      exclude: string[];
    }): Promise<{ candidate: CandidateIn | null; reason: string | null }> {
      const others = await waitingRequestIds(db, input.matchId, OPTIMISER_DEMAND);
      const p = await planInput(
        [input.matchId, ...others],
        new Map([[input.matchId, input.exclude]]),
        input.matchId,
      );
      if (p.mentees[0]?.key !== input.matchId) return { candidate: null, reason: 'request not found' };
      if (!p.mentors.some((m) => m.free > 0 && !p.mentees[0]!.exclude?.has(m.profile.mentorId))) {
        return { candidate: null, reason: 'optimiser: no mentor not yet offered has a free slot' };
      }
      const { planned } = await planAssignment({ ...p, minScore: MIN_FIT_SCORE, fallbacks: 0 });
      const pick = planned[0]!.choices[0];
      if (!pick) {
        return {
          candidate: null,
          reason: `optimiser: no mentor with a free slot and not yet offered scores at least ${MIN_FIT_SCORE} (or they fit waiting requests better)`,
        };
      }
      return { candidate: p.candidate(input.matchId, pick), reason: null };
    },

    /**
     * A cohort's plan: the total-score optimum over the cohort's requests and the mentors' free slots, with each
     * request's pick first and up to 3 next best fitting mentors (tried when a reservation is refused).
     */
    async planCohort(input: { cohortId: string; matchIds: string[] }): Promise<CohortPlanEntry[]> {
      const p = await planInput(input.matchIds, new Map(), null);
      const { planned } = await planAssignment({
        ...p,
        minScore: MIN_FIT_SCORE,
        fallbacks: COHORT_FALLBACKS,
      });
      const byKey = new Map(planned.map((x) => [x.key, x]));
      return input.matchIds.map((matchId) => {
        const x = byKey.get(matchId);
        return {
          matchId,
          choices: (x?.choices ?? []).map((s) => p.candidate(matchId, s)),
          firstChoiceScore: x?.firstChoiceScore ?? null,
        };
      });
    },

    /**
     * Up to `limit` mentors with a free slot, best first, scored with the current weight version. Each one's zone,
     * windows and score are sealed under the mentor's and the mentee's keys (ids readable).
     */
    async rankMentorsForMatch(input: {
      matchId: string;
      limit: number;
      /** Mentors already offered this match (a re-match after "not a fit" skips them). */
      exclude?: string[];
    }): Promise<CandidateIn[]> {
      const found = await matchWithMentee(db, input.matchId);
      if (!found) return [];
      const { match, timezone } = found;
      const nowMs = Date.now();
      const excluded = new Set(input.exclude ?? []);
      const pool = (await mentorPool(db)).filter(
        (m) => m.memberId !== match.menteeMemberId && !excluded.has(m.mentorId),
      );
      const weights = await currentWeights(db);
      const ranked = rankMentors(
        {
          focusAreas: match.focusAreas,
          languages: match.languages,
          availability: match.availability,
          utcOffsetMinutes: utcOffsetMinutes(timezone, nowMs),
        },
        pool.map((m) => ({
          mentorId: m.mentorId,
          expertise: m.expertise,
          languages: m.languages,
          availability: m.availability,
          utcOffsetMinutes: utcOffsetMinutes(m.timezone, nowMs),
          capacity: m.capacity,
          activeMentees: m.active,
        })),
        weights,
        input.limit,
      );
      const byId = new Map(pool.map((m) => [m.mentorId, m]));
      return ranked.map((r) =>
        sealCandidate(
          {
            ...r,
            mentorMemberId: byId.get(r.mentorId)!.memberId,
            mentorTimezone: byId.get(r.mentorId)!.timezone,
            mentorAvailability: byId.get(r.mentorId)!.availability,
          },
          match.menteeMemberId,
        ),
      );
    },

    /**
     * Writes an offer's row. The offer arrives sealed under the mentor's and the mentee's keys (`offerRecord`; the
     * flat shape of older histories is taken too); one of them erased since, its row went with them and nothing is
     * written. Answers the offer's clock as given, readable, so a replay needs no zone (sealed.ts).
     */
    async recordOffer(input: OfferRecord | ({ matchId: string } & OfferView)): Promise<OfferClock | null> {
      const { matchId } = input;
      const clock = 'clock' in input && input.clock ? input.clock : null;
      const given: unknown = 'offer' in input && typeof input.offer === 'object' ? input.offer : input;
      if (isErased(given)) return clock;
      const offer = given as OfferView;
      await upsertOffer(db, matchId, offer);
      // The mentor's YES by SMS is their opt-in to mentorship texts: into the consent ledger with its evidence.
      if (offer.status === 'accepted' && offer.reason === 'accepted by sms')
        await recordMentorOptIn(db, { matchId, mentorId: offer.mentorId });
      return clock;
    },

    async setMatchStatus(input: {
      matchId: string;
      status: MatchStatus;
      mentorId: string | null;
      reason: string | null;
    }): Promise<void> {
      // Sealed with the pairing's keys and opened after one side's erasure (their match rows went with them).
      if (isErased(input)) return;
      await setMatchStatus(db, input);
    },

    /** Reserve a slot for the match in `mentor-<id>`: false when the mentor is full (the update's validator refused). */
    async reserveMentorSlot(input: { mentorId: string; matchId: string }): Promise<{ reserved: boolean }> {
      try {
        await Context.current()
          .client.workflow.getHandle(mentorWorkflowId(input.mentorId))
          .executeUpdate(reserveSlotUpdate, { args: [{ matchId: input.matchId }] });
        return { reserved: true };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError && fieldErrorsOf(err)?.[0]?.field === 'capacity') {
          return { reserved: false };
        }
        // No mentor workflow (the mentor is gone): nothing to reserve, never retried.
        if (err instanceof WorkflowNotFoundError) return { reserved: false };
        throw err;
      }
    },
  };
}
