/**
 * What a match's history holds about the people in it, sealed per person (README "Privacy", issue 12). Pure and
 * deterministic (workflow code and activities use it); nothing here throws.
 *
 * - A ranked candidate (`SealedCandidate`): the ids stay readable (the match signals `mentor-<id>` and texts the
 *   mentor's member by them), the personal part — the mentor's zone and weekly windows, the pairing's score and
 *   breakdown — is one object sealed under the mentor's AND the mentee's keys (`markedForAll`): it is computed
 *   from both people's profiles, so either erasure makes it unreadable.
 * - An offer as `recordOffer` stores it (`offerRecord`): the whole offer (mentor id, rank, score, status,
 *   deadline) under both keys; only the match id and the offer's clock stay readable. The clock (the accept-by
 *   deadline and the reminders' instants) is what the match's timers show in the history anyway: the activity
 *   returns it, so a replay after the mentor's key is gone takes the same timers without their zone.
 * - The mentee's zone in the match's start input (`markedZone`): under the mentee's key.
 * Old histories and running matches carry the plaintext shapes (a flat `Candidate`, a zone string): `open*`
 * accept both, and fall back to neutral values for a part that no longer opens (a tombstone).
 */
import { isErased, isSubject, markedFor, markedForAll, subjectIf, type Subject } from '../lib/subject.js';
import { isValidTimeZone } from '../lib/time.js';
import type { Candidate, CandidateDetails, OfferView, SealedCandidate } from './definitions.js';

/** A zone as the match's input carries it: a string (before sealing), or sealed with its owner's key. */
export type ZoneIn = string | { timezone: string; subject?: string } | { subject: string; erased: true };

const ZERO_BREAKDOWN = { focus: 0, language: 0, schedule: 0, timezone: 0, load: 0 } as const;

/** The mentee's zone, marked as theirs (what the API puts in the match's start input). */
export function markedZone(memberId: string, timezone: string): ZoneIn {
  return markedFor('member', memberId, { timezone });
}

/** The zone to compute with: a readable valid zone, else UTC (a tombstone, or nothing given). */
export function zoneOf(z: ZoneIn | undefined | null): string {
  const tz =
    typeof z === 'string'
      ? z
      : typeof z === 'object' && z !== null && !isErased(z)
        ? (z as { timezone?: unknown }).timezone
        : undefined;
  return typeof tz === 'string' && isValidTimeZone(tz) ? tz : 'UTC';
}

/** The pairing's subjects: the mentor's member first (it is their profile), then the mentee. */
const pairing = (mentorMemberId: string | null | undefined, menteeMemberId: string | null | undefined) => [
  subjectIf('member', mentorMemberId),
  subjectIf('member', menteeMemberId),
];

/** A candidate as an activity returns it: ids readable, the rest sealed under the mentor's and mentee's keys. */
export function sealCandidate(c: Candidate, menteeMemberId: string): SealedCandidate {
  const details: CandidateDetails = {
    mentorTimezone: c.mentorTimezone,
    ...(c.mentorAvailability !== undefined && { mentorAvailability: c.mentorAvailability }),
    score: c.score,
    breakdown: c.breakdown,
  };
  return {
    mentorId: c.mentorId,
    mentorMemberId: c.mentorMemberId,
    weightsVersion: c.weightsVersion,
    details: markedForAll(pairing(c.mentorMemberId, menteeMemberId), details),
  };
}

export const isSealedCandidate = (c: Candidate | SealedCandidate): c is SealedCandidate =>
  typeof c === 'object' && c !== null && 'details' in c;

/**
 * Whom a candidate is about, as its sealed part names them (the mentor's member, then the mentee): what a view
 * derived from it (a cohort assignment's score) is sealed under. A flat candidate names its mentor's member only.
 */
export function candidateSubjects(c: Candidate | SealedCandidate): Subject[] {
  if (!isSealedCandidate(c)) return [subjectIf('member', c.mentorMemberId)].filter(isSubject);
  const d = c.details as { subject?: unknown; alsoAbout?: unknown };
  return [d.subject, ...(Array.isArray(d.alsoAbout) ? (d.alsoAbout as unknown[]) : [])].filter(isSubject);
}

/**
 * The candidate to work with, from either shape. A part that no longer opens (its key destroyed) gives UTC, no
 * windows and a zero score: the ids still say whom it was about, and the clock of an offer made to them comes
 * back from `recordOffer` (see above).
 */
export function openCandidate(c: Candidate | SealedCandidate): Candidate {
  if (!isSealedCandidate(c)) {
    const {
      subject: _s,
      alsoAbout: _a,
      ...flat
    } = c as Candidate & { subject?: unknown; alsoAbout?: unknown };
    return flat;
  }
  const d = c.details as Partial<CandidateDetails> & { erased?: unknown };
  const readable = !isErased(d) && typeof d === 'object' && d !== null;
  return {
    mentorId: c.mentorId,
    mentorMemberId: c.mentorMemberId,
    weightsVersion: c.weightsVersion,
    mentorTimezone: zoneOf(readable ? d.mentorTimezone : undefined),
    mentorAvailability: readable && Array.isArray(d.mentorAvailability) ? d.mentorAvailability : [],
    score: readable && typeof d.score === 'number' ? d.score : 0,
    breakdown: readable && d.breakdown ? d.breakdown : { ...ZERO_BREAKDOWN },
  };
}

/** When an offer's text times out and its reminders are due (instants, ms): timers show them in any case. */
export interface OfferClock {
  deadlineMs: number;
  reminderAtMs: number[];
}

/** What `recordOffer` receives: the offer sealed under both keys; the match id and the clock readable. */
export interface OfferRecord {
  matchId: string;
  offer: OfferView | { subject: string; erased: true };
  clock?: OfferClock;
}

export function offerRecord(
  matchId: string,
  offer: OfferView,
  mentorMemberId: string,
  menteeMemberId: string,
  clock?: OfferClock,
): OfferRecord {
  return {
    matchId,
    offer: markedForAll(pairing(mentorMemberId, menteeMemberId), offer),
    ...(clock && { clock }),
  };
}

/** A clock as `recordOffer` answered it, if it is one (older histories recorded no answer). */
export function clockOf(v: unknown, reminders: number): OfferClock | null {
  if (typeof v !== 'object' || v === null) return null;
  const c = v as Partial<OfferClock>;
  if (typeof c.deadlineMs !== 'number' || !Array.isArray(c.reminderAtMs)) return null;
  if (c.reminderAtMs.length !== reminders || !c.reminderAtMs.every((x) => typeof x === 'number')) return null;
  return { deadlineMs: c.deadlineMs, reminderAtMs: c.reminderAtMs };
}

/** The pairing's subjects for a text or a status about both (mentee first, as the match marks its answers). */
export function bothOf(
  menteeMemberId: string,
  mentorMemberId: string | null | undefined,
): Array<Subject | null> {
  return [subjectIf('member', menteeMemberId), subjectIf('member', mentorMemberId)];
}
