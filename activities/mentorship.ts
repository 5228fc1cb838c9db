/**
 * The mentorship activities (the match workflow's group): rank candidates from Postgres with the pure score,
 * record offers and statuses, and reserve a slot in the mentor's own workflow — an update on `mentor-<id>` that
 * checks capacity and reserves in one step (through the worker's client).
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Db } from '../db/client.js';
import {
  currentWeights,
  matchWithMentee,
  mentorPool,
  setMatchStatus,
  upsertOffer,
} from '../db/mentorship.js';
import { fieldErrorsOf } from '../workflows/lib/failures.js';
import { localParts } from '../workflows/lib/time.js';
import { mentorWorkflowId } from '../workflows/ids.js';
import { reserveSlotUpdate } from '../workflows/mentor/definitions.js';
import type { Candidate, OfferView } from '../workflows/mentorship-match/definitions.js';
import { rankMentors } from '../workflows/mentorship-match/score.js';
import type { MatchStatus } from '../workflows/mentorship-match/values.js';

/** Minutes the zone is ahead of UTC at `atMs`. */
export function utcOffsetMinutes(tz: string, atMs: number): number {
  const p = localParts(atMs, tz);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return Math.round((asUtc - Math.floor(atMs / 1000) * 1000) / 60_000);
}

export function createMentorshipActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    /** Up to `limit` mentors with a free slot, best first, scored with the current weight version. */
    async rankMentorsForMatch(input: {
      matchId: string;
      limit: number;
      /** Mentors already offered this match (a re-match after "not a fit" skips them). */
      exclude?: string[];
    }): Promise<Candidate[]> {
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
      return ranked.map((r) => ({
        ...r,
        mentorMemberId: byId.get(r.mentorId)!.memberId,
        mentorTimezone: byId.get(r.mentorId)!.timezone,
        mentorAvailability: byId.get(r.mentorId)!.availability,
      }));
    },

    async recordOffer(input: { matchId: string } & OfferView): Promise<void> {
      const { matchId, ...offer } = input;
      await upsertOffer(db, matchId, offer);
    },

    async setMatchStatus(input: {
      matchId: string;
      status: MatchStatus;
      mentorId: string | null;
      reason: string | null;
    }): Promise<void> {
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
