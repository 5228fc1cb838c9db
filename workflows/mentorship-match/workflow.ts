/**
 * The mentorship match workflow (`mentorship-match-<id>`), one per mentee request. Read it from the top:
 * handlers, then the match's process in the order it happens — rank up to 5 candidates, offer them one at a time
 * (exactly one live offer, accept-by deadline with reminders at 24 h and 4 h left; YES/NO by SMS through
 * conversation routing or by API), reserve a slot in the mentor's own workflow on accept (an update that checks
 * capacity), then the active match (risk alerts to the mentor) until it completes or ends early. When every
 * candidate declined, expired or was full, the request goes to the operator queue (status `unmatched`, with the
 * reason) and the mentee is told: nothing stays pending forever. Every state change comes from a timer or a
 * message, never a scan. Personal data in its input, activity results and inputs is sealed per person (sealed.ts).
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createAiActivities } from '../../activities/ai/index.js';
import type { createMentorshipActivities } from '../../activities/mentorship.js';
import type { SendSmsInput } from '../../activities/messaging.js';
import { AI, DB_WRITE, OPTIMISE } from '../lib/activity-options.js';
import { localParts } from '../lib/time.js';
import { invalidInput } from '../lib/failures.js';
import { sendMessage } from '../lib/outbound.js';
import { markedForAll, subjectIf, unmarked, type Subject } from '../lib/subject.js';
import { memberWorkflowId, mentorWorkflowId } from '../ids.js';
import { offerSignal, releaseSlotSignal } from '../mentor/definitions.js';
import { subscribeRiskSignal, unsubscribeRiskSignal } from '../member/definitions.js';
import {
  answerOfferUpdate,
  cohortAssignedSignal,
  consentSignal,
  endMatchUpdate,
  matchStateQuery,
  mentorFullSignal,
  participantErasedSignal,
  pauseMatchUpdate,
  replySignal,
  rescheduleSessionUpdate,
  resumeMatchUpdate,
  riskChangedSignal,
  scheduleSessionUpdate,
  sessionFeedbackUpdate,
  type BriefingView,
  type Candidate,
  type CandidateIn,
  type CohortAssignment,
  type InboundReply,
  type MatchSnapshot,
  type MatchWorkflowInput,
  type OfferView,
  type SessionBooking,
  type SessionView,
} from './definitions.js';
import {
  completedText,
  DECLINED_ACK_TEXT,
  ENDED_EARLY_TEXT,
  matchedMenteeText,
  matchedMentorText,
  MENTOR_FULL_TEXT,
  OFFER_CLOSED_TEXT,
  OFFER_HINT_TEXT,
  offerReminderText,
  offerText,
  RISK_ACK_TEXT,
  RISK_ALERT_TEXT,
  RISK_ESCALATED_TEXT,
  RISK_HINT_TEXT,
  UNMATCHED_MENTEE_TEXT,
  BRIEFING_MORE_HINT,
  FIT_HINT_TEXT,
  FIT_QUESTION_TEXT,
  FIT_THANKS_TEXT,
  IDLE_ENDED_TEXT,
  IDLE_WARNING_TEXT,
  NUDGE_TEXT,
  PAUSED_TEXT,
  REMATCH_MENTEE_TEXT,
  REMATCH_MENTOR_TEXT,
  RESUMED_TEXT,
  SESSION_CHECK_HINT_TEXT,
  SESSION_CHECK_TEXT,
  SESSION_NO_SHOW_TEXT,
  SESSION_THANKS_TEXT,
  sessionBookedText,
  sessionMovedText,
  sessionReminderText,
} from './texts.js';
import { afterWakingTime } from './deadline.js';
import {
  COHORT_ERASED_RELEASE_PATCH,
  ERASED_END_REASON,
  erasedParty,
  erasureEnds,
  MATCH_ERASURE_PATCH,
} from './erasure.js';
import { bothOf, clockOf, offerRecord, openCandidate, zoneOf } from './sealed.js';
import { MATCH_STATUS_SA, MENTOR_ID_SA } from './search-attributes.js';
import {
  nextIdleEvent,
  nextSessionEvent,
  parseFit,
  parseRating,
  sessionProblem,
  type IdleEvent,
  type Session,
  type SessionEvent,
} from './sessions.js';
import {
  MATCH_DEFAULTS,
  OFFER_REMINDER_HOURS,
  OPTIMISER_OFFERS,
  SESSION_DEFAULTS,
  SESSION_ROLES,
  INACTIVITY_DAYS,
  type MatchStatus,
  type SessionRole,
} from './values.js';

export type { MatchSnapshot, MatchWorkflowInput } from './definitions.js';

const HOUR = 3_600_000;
/** A risk alert not acknowledged (OK) this long after it was sent is escalated to operators. */
const ACK_WITHIN_MS = 24 * HOUR;
/** Risk alerts are held to the mentor's daytime (quiet hours). */
const ALERT_WINDOW = { start: '08:00', end: '21:00' } as const;

/** Rankings, offers, match rows and the mentor's slot (an update on `mentor-<id>`): the mentorship group only. */
const mx = proxyActivities<ReturnType<typeof createMentorshipActivities>>(DB_WRITE);
/** The optimiser's re-match of the pool: the same group, with room for the LP solve. */
const opt = proxyActivities<ReturnType<typeof createMentorshipActivities>>(OPTIMISE);
/** The mentor's briefing before a session: the AI group (redacted; a template without OpenAI). */
const ai = proxyActivities<ReturnType<typeof createAiActivities>>(AI);
const MINUTE = 60_000;
const DAY = 24 * 3_600_000;
/** How long a session check (rating) and the pairing-fit question wait for an answer by SMS. */
const ANSWER_WITHIN_MS = 3 * DAY;

interface Offer extends OfferView {
  mentorMemberId: string;
  mentorTimezone: string;
  mentorAvailability: NonNullable<Candidate['mentorAvailability']>;
}
/** A text the loop sends for a change made by an update (updates change state; the loop does the I/O). */
type Notice =
  | { kind: 'booked' | 'moved'; session: number; reschedules: number }
  | { kind: 'paused' | 'resumed'; at: number }
  | { kind: 'feedback'; session: number; from: SessionRole; rating: number | 'no_show'; key: string };
interface HeldText {
  scope: CancellationScope;
  stale: () => boolean;
  done: Promise<void>;
}
interface RiskAlert {
  localDate: string;
  sentAtMs: number;
  acknowledged: boolean;
  escalated: boolean;
}
type Decision = {
  mentorId: string;
  accept: boolean;
  via: 'sms' | 'api' | 'opt_out' | 'mentor_full' | 'mentee_erased' | 'mentor_erased';
  inboundId?: number;
};

export async function mentorshipMatchWorkflow(input: MatchWorkflowInput): Promise<void> {
  const { matchId, menteeMemberId } = input;
  const weeks = input.weeks ?? MATCH_DEFAULTS.weeks;
  const acceptHours = input.acceptHours ?? MATCH_DEFAULTS.acceptHours;
  const now = () => Date.now();
  const self = workflowInfo().workflowId;
  /** Sessions, pause, pairing fit, re-match and inactivity (histories from before them replay the old path). */
  const v2 = patched('mentorship-sessions');
  /** The optimiser re-matches the pool when the ranked list runs out (before it, the operator queue at once). */
  const v3 = patched('mentorship-optimiser');
  /**
   * A text held for the recipient's daytime (a 24 h reminder, a check, a nudge, a risk alert) waits on its own
   * instead of holding the active match's loop: replies and changes keep being handled meanwhile (before it, the
   * loop waited for the text).
   */
  const v4 = patched('mentorship-held-texts');
  /**
   * Erasure ends a match in any state (erasure.ts): a request or live offer of an erased mentee ends, an offer
   * waiting on an erased mentor is withdrawn and the request goes on; only a participant's erasure ends it (before,
   * only an active or paused match ended, whoever of its offers was erased).
   */
  const v5 = patched(MATCH_ERASURE_PATCH);
  const menteeTz = zoneOf(input.menteeTimezone);
  /** The mentee's payload-codec subject: what is about them is sealed with their key (null: not a valid id). */
  const mentee = subjectIf('member', menteeMemberId);

  let status: MatchStatus = 'requested';
  let mentor: Offer | null = null;
  let endsAtMs: number | null = null;
  let unmatchedReason: string | null = null;
  let endRequested: string | null = null;
  let riskAlerts = 0;
  let lastAlertDate: string | null = null;
  /** The latest risk alert: the mentor acknowledges with OK within 24 h, else it is escalated to operators. */
  let alert = null as RiskAlert | null;
  const offers: Offer[] = [];
  const replies: InboundReply[] = [];
  const decisions: Decision[] = [];
  const risks: string[] = [];
  const sessions: Session[] = [];
  const briefings = new Map<number, BriefingView>();
  /** Event keys done (session events, idle events): each is acted on once. */
  const done = new Set<string>();
  const notices: Notice[] = [];
  /** Texts waiting for the recipient's daytime, each in its own scope: cancelled when stale or when the pairing ends. */
  const held = new Set<HeldText>();
  let changes = 0;
  let round = 1;
  let activeSinceMs = 0;
  let pausedAtMs: number | null = null;
  let fit: boolean | null = null;
  let fitAsked = false;
  let endText: string | null = null;
  /** The cohort's answer (a request that joined a cohort waits for it instead of ranking on its own). */
  let cohortAnswer = null as CohortAssignment | null;
  /** Members erased while this match runs (ids only): never offered again, never texted again. */
  const erased = new Set<string>();
  /** Offers whose text reached the mentor (they are told when the request ends before they answered). */
  const toldOffers = new Set<string>();
  const menteeErased = () => erased.has(menteeMemberId);

  const live = (): Offer | undefined => offers.find((o) => o.status === 'offered');
  const snapshot = (): MatchSnapshot => ({
    matchId,
    menteeMemberId,
    status,
    mentorId: mentor?.mentorId ?? null,
    offers: offers.map((o) => publicOffer(o)),
    endsAt: endsAtMs === null ? null : new Date(endsAtMs).toISOString(),
    unmatchedReason,
    riskAlerts,
    riskAlert: alert && {
      localDate: alert.localDate,
      acknowledged: alert.acknowledged,
      escalated: alert.escalated,
    },
    sessions: sessions.map((x) => sessionView(x)),
    fit,
    pausedAt: pausedAtMs === null ? null : new Date(pausedAtMs).toISOString(),
  });
  /**
   * An update's answer, stored in the history: the mentee's risk, fit, ratings and briefings and the mentor's
   * ratings, so sealed under both their keys (README "Privacy"). Queries are not stored: they answer `snapshot`.
   */
  const sealedSnapshot = (): MatchSnapshot =>
    markedForAll([mentee, subjectIf('member', mentor?.mentorMemberId)], snapshot());
  const sessionView = (x: Session): SessionView => ({
    number: x.number,
    startsAt: new Date(x.startsAtMs).toISOString(),
    minutes: x.minutes,
    status: x.status,
    reschedules: x.reschedules,
    mentorLocal: localLabel(x.startsAtMs, mentor?.mentorTimezone ?? 'UTC', true),
    menteeLocal: localLabel(x.startsAtMs, menteeTz, true),
    ratings: { ...x.ratings },
    noShowReportedBy: x.noShowReportedBy,
    briefing: briefings.get(x.number) ?? null,
  });
  const upcoming = () => sessions.filter((x) => x.status === 'scheduled' && x.startsAtMs > now());

  /** What an operator sees on the Temporal Web UI's workflow page (ids and states only). */
  const publish = (): void => {
    syncSearchAttributes();
    const o = live();
    setCurrentDetails(
      [
        `**${status}**`,
        o
          ? `offer ${o.rank}/${MATCH_DEFAULTS.maxCandidates} to mentor ${o.mentorId}, answer by ${o.deadlineAt}, reminders sent ${o.remindersSent}`
          : null,
        mentor
          ? `mentor ${mentor.mentorId}, ends ${endsAtMs === null ? '-' : new Date(endsAtMs).toISOString()}`
          : null,
        unmatchedReason ? `operator queue: ${unmatchedReason}` : null,
        pausedAtMs !== null ? `paused since ${new Date(pausedAtMs).toISOString()}` : null,
        sessions.length > 0
          ? `sessions: ${sessions.map((x) => `${x.number}. ${new Date(x.startsAtMs).toISOString()} ${x.status}`).join('; ')}`
          : null,
        fit !== null ? `pairing fit: ${fit ? 'yes' : 'no'}` : null,
        // Ids and statuses only: the scores are sealed in the history (sealed.ts).
        `offers: ${offers.map((x) => `${x.rank}. ${x.mentorId} ${x.status} (${x.weightsVersion})`).join('; ') || 'none yet'}`,
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  };

  /**
   * Status and mentor as search attributes, for matches started with them (the API does; histories from before
   * did not, so they replay without these commands).
   */
  function syncSearchAttributes(): void {
    const sa = workflowInfo().typedSearchAttributes;
    if (sa.get(MATCH_STATUS_SA) === undefined) return;
    const mentorId = mentor?.mentorId;
    if (sa.get(MATCH_STATUS_SA) === status && (!mentorId || sa.get(MENTOR_ID_SA) === mentorId)) return;
    upsertSearchAttributes([
      { key: MATCH_STATUS_SA, value: status },
      ...(mentorId ? [{ key: MENTOR_ID_SA, value: mentorId }] : []),
    ]);
  }

  // ---- handlers -------------------------------------------------------------------------------------------
  setHandler(matchStateQuery, snapshot);
  setHandler(replySignal, (r) => void replies.push(r));
  setHandler(consentSignal, (c) => {
    const o = live();
    // The phone holding this match's live expectation is the offered mentor's: an opt-out passes the offer on.
    if (c.optedOut && o) decisions.push({ mentorId: o.mentorId, accept: false, via: 'opt_out' });
  });
  setHandler(mentorFullSignal, ({ mentorId }) => {
    if (live()?.mentorId === mentorId) decisions.push({ mentorId, accept: false, via: 'mentor_full' });
  });
  setHandler(participantErasedSignal, ({ memberId }) => {
    if (!v5) {
      if (erasureEnds(status, endRequested)) endRequested = ERASED_END_REASON;
      return;
    }
    if (erased.has(memberId)) return;
    erased.add(memberId);
    // The mentee, or the mentor holding the slot: the match ends (before a mentor took it: step 2c).
    if (erasedParty(memberId, menteeMemberId, mentor?.mentorMemberId ?? null) && endRequested === null)
      endRequested = ERASED_END_REASON;
    const o = live();
    const offerParty = o ? erasedParty(memberId, menteeMemberId, o.mentorMemberId) : null;
    if (o && offerParty)
      decisions.push({
        mentorId: o.mentorId,
        accept: false,
        via: offerParty === 'mentee' ? 'mentee_erased' : 'mentor_erased',
      });
  });
  setHandler(cohortAssignedSignal, (a) => {
    if (input.cohortId !== undefined && a.cohortId === input.cohortId && cohortAnswer === null)
      cohortAnswer = a;
  });
  setHandler(riskChangedSignal, (change) => {
    if (change.to === 'high' && change.from !== 'high') risks.push(change.localDate);
  });
  setHandler(
    answerOfferUpdate,
    async (a) => {
      const o = live()!;
      decisions.push({ ...a, via: 'api' });
      await condition(() => o.status !== 'offered');
      return sealedSnapshot();
    },
    {
      validator: (a) => {
        if (live()?.mentorId !== a.mentorId)
          throw invalidInput('mentorId', 'has no live offer in this match');
      },
    },
  );
  setHandler(
    endMatchUpdate,
    async ({ reason }) => {
      endRequested = reason;
      await condition(() => status !== 'active' && status !== 'paused');
      return sealedSnapshot();
    },
    {
      validator: ({ reason }) => {
        if (typeof reason !== 'string' || reason.trim() === '') throw invalidInput('reason', 'is required');
        if (status !== 'active' && status !== 'paused')
          throw invalidInput('status', `match is ${status}, not active`);
      },
    },
  );
  setHandler(
    scheduleSessionUpdate,
    (b) => {
      const n = sessions.length + 1;
      const startsAtMs = Date.parse(b.startsAt);
      const minutes = b.minutes ?? SESSION_DEFAULTS.minutes;
      sessions.push({
        number: n,
        startsAtMs,
        minutes,
        status: 'scheduled',
        reschedules: 0,
        armedAtMs: now(),
        ratings: { mentor: null, mentee: null },
        noShowReportedBy: null,
      });
      notices.push({ kind: 'booked', session: n, reschedules: 0 });
      changes++;
      return sealedSnapshot();
    },
    {
      validator: (b) => {
        requireActive();
        if (upcoming().length >= SESSION_DEFAULTS.maxUpcoming)
          throw invalidInput(
            'startsAt',
            `at most ${SESSION_DEFAULTS.maxUpcoming} sessions may be booked ahead`,
          );
        validateBooking(b, null);
      },
    },
  );
  setHandler(
    rescheduleSessionUpdate,
    (b) => {
      const x = sessions[b.session - 1]!;
      x.startsAtMs = Date.parse(b.startsAt);
      x.minutes = b.minutes ?? x.minutes;
      x.reschedules++;
      x.armedAtMs = now();
      briefings.delete(x.number);
      notices.push({ kind: 'moved', session: x.number, reschedules: x.reschedules });
      changes++;
      return sealedSnapshot();
    },
    {
      validator: (b) => {
        requireActive();
        const x = Number.isInteger(b.session) ? sessions[b.session - 1] : undefined;
        if (!x) throw invalidInput('session', 'no such session in this match');
        if (x.status !== 'scheduled' || x.startsAtMs <= now())
          throw invalidInput('session', 'has already started, or was checked or cancelled');
        validateBooking(b, x.number);
      },
    },
  );
  setHandler(
    sessionFeedbackUpdate,
    (f) => {
      const rating = f.rating === 0 ? 'no_show' : f.rating;
      notices.push({ kind: 'feedback', session: f.session, from: f.from, rating, key: `api:${f.from}` });
      changes++;
      applyFeedback(f.session, f.from, rating);
      return sealedSnapshot();
    },
    {
      validator: (f) => {
        if (!v2 || mentor === null) throw invalidInput('status', `match is ${status}, not active`);
        const x = Number.isInteger(f.session) ? sessions[f.session - 1] : undefined;
        if (!x) throw invalidInput('session', 'no such session in this match');
        if (x.status === 'scheduled' || x.status === 'cancelled')
          throw invalidInput('session', `is ${x.status}: feedback comes after the session`);
        if (!SESSION_ROLES.includes(f.from)) throw invalidInput('from', 'must be mentor or mentee');
        if (!Number.isInteger(f.rating) || f.rating < 0 || f.rating > 4)
          throw invalidInput('rating', 'must be 1–4, or 0 if it did not happen');
      },
    },
  );
  setHandler(
    pauseMatchUpdate,
    () => {
      status = 'paused';
      pausedAtMs = now();
      for (const x of upcoming()) x.status = 'cancelled';
      notices.push({ kind: 'paused', at: pausedAtMs });
      changes++;
      return sealedSnapshot();
    },
    {
      validator: ({ reason }) => {
        if (typeof reason !== 'string' || reason.trim() === '') throw invalidInput('reason', 'is required');
        requireActive();
      },
    },
  );
  setHandler(
    resumeMatchUpdate,
    () => {
      const pausedFor = now() - pausedAtMs!;
      // The clocks stopped while paused: the end, the inactivity clock and a pending escalation move on.
      endsAtMs = endsAtMs! + pausedFor;
      activeSinceMs = inactivityAnchor() + pausedFor;
      if (alert && !alert.acknowledged && !alert.escalated) alert.sentAtMs += pausedFor;
      status = 'active';
      pausedAtMs = null;
      notices.push({ kind: 'resumed', at: now() });
      changes++;
      return sealedSnapshot();
    },
    {
      validator: () => {
        if (status !== 'paused') throw invalidInput('status', `match is ${status}, not paused`);
      },
    },
  );

  function requireActive(): void {
    if (!v2) throw invalidInput('status', 'match was started before sessions existed; request a new one');
    if (status !== 'active') throw invalidInput('status', `match is ${status}, not active`);
  }
  function validateBooking(b: SessionBooking, moving: number | null): void {
    if (typeof b.startsAt !== 'string') throw invalidInput('startsAt', 'must be an ISO date-time');
    const minutes = b.minutes ?? SESSION_DEFAULTS.minutes;
    if (
      !Number.isInteger(minutes) ||
      minutes < SESSION_DEFAULTS.minMinutes ||
      minutes > SESSION_DEFAULTS.maxMinutes
    )
      throw invalidInput(
        'minutes',
        `must be ${SESSION_DEFAULTS.minMinutes} to ${SESSION_DEFAULTS.maxMinutes}`,
      );
    const startsAtMs = Date.parse(b.startsAt);
    const problem = sessionProblem(
      startsAtMs,
      minutes,
      now(),
      mentor!.mentorAvailability,
      mentor!.mentorTimezone,
    );
    if (problem) throw invalidInput('startsAt', problem);
    const clash = upcoming().find(
      (x) =>
        x.number !== moving &&
        startsAtMs < x.startsAtMs + x.minutes * MINUTE &&
        x.startsAtMs < startsAtMs + minutes * MINUTE,
    );
    if (clash) throw invalidInput('startsAt', `overlaps session ${clash.number}`);
  }
  /** The inactivity clock's start: the later of the match's start and the last session that began. */
  function inactivityAnchor(): number {
    return Math.max(
      activeSinceMs,
      ...sessions
        .filter((x) => (x.status === 'scheduled' || x.status === 'held') && x.startsAtMs <= now())
        .map((x) => x.startsAtMs),
    );
  }
  /** A rating (1–4) or "did not happen" from one side; the state changes at once, the loop sends the texts. */
  function applyFeedback(n: number, from: SessionRole, rating: number | 'no_show'): void {
    const x = sessions[n - 1]!;
    if (rating === 'no_show') {
      x.status = 'no_show';
      x.noShowReportedBy = from;
    } else {
      x.ratings[from] = rating;
    }
  }

  // ---- 1. rank up to 5 candidates (or, in a cohort, wait for the cohort's assignment) -----------------------
  let candidates: Candidate[] = [];
  const cohort = input.cohortId !== undefined;
  if (cohort) {
    publish();
    await condition(() => cohortAnswer !== null || menteeErased());
    if (cohortAnswer?.candidate && !menteeErased())
      await assignedByCohort(openCandidate(cohortAnswer.candidate), cohortAnswer.cohortId);
  } else {
    candidates = (await mx.rankMentorsForMatch({ matchId, limit: MATCH_DEFAULTS.maxCandidates })).map(
      openCandidate,
    );
  }

  for (;;) {
    // ---- 2. one live offer at a time, until one is accepted ---------------------------------------------------
    for (const c of candidates) {
      if (menteeErased()) break;
      if (erased.has(c.mentorMemberId)) continue;
      if (await offer(c, offers.length + 1)) break;
    }

    // ---- 2b. the list ran out: the optimiser matches the remaining pool again (up to 3 more offers) -----------
    let optimiserReason: string | null = null;
    if (!mentor && v3 && !cohort && !menteeErased()) optimiserReason = await optimiserRematch();

    // ---- 2c. the mentee was erased before a mentor took it: the request ends, nobody is left to tell ----------
    if (!mentor && menteeErased()) {
      status = 'ended_early';
      publish();
      await dropHeld();
      await mx.setMatchStatus({ matchId, status, mentorId: null, reason: ERASED_END_REASON });
      await answerLateReplies();
      await condition(allHandlersFinished);
      // A cohort that answered after the erasure reserved a slot for this request: it is freed, not held.
      const assigned = cohortAnswer?.candidate;
      if (assigned && patched(COHORT_ERASED_RELEASE_PATCH)) await releaseSlot(openCandidate(assigned));
      return;
    }

    // ---- 3. nobody took it: the operator queue, and the mentee is told --------------------------------------
    if (!mentor) {
      status = 'unmatched';
      const ranked =
        candidates.length === 0
          ? 'no mentor has a free slot'
          : `all ${candidates.length} candidates declined, let the offer expire or were full`;
      unmatchedReason = cohort
        ? (cohortAnswer!.reason ?? 'not assigned by the cohort')
        : optimiserReason === null
          ? ranked
          : `${ranked}; ${optimiserReason}`;
      publish();
      await mx.setMatchStatus({ matchId, status, mentorId: null, reason: unmatchedReason });
      await send({ memberId: menteeMemberId }, 'unmatched', 'mentorship_unmatched', UNMATCHED_MENTEE_TEXT);
      await answerLateReplies();
      await condition(allHandlersFinished);
      return;
    }

    // ---- 4. the active match: sessions and risk alerts until it completes or ends early ---------------------
    const current = mentor as Offer;
    if (round === 1 && input.shareRisk) await toMentee(subscribeRiskSignal);
    if (!v2) {
      await activeBeforeSessions(current);
      break;
    }
    const outcome = await active(current);
    await dropHeld();
    if (outcome === 'ended') break;

    // ---- 5. "not a fit": the mentor is released and the request is matched again, without them -------------
    await rematch(current);
    candidates = (
      await mx.rankMentorsForMatch({
        matchId,
        limit: MATCH_DEFAULTS.maxCandidates,
        exclude: offers.map((o) => o.mentorId),
      })
    ).map(openCandidate);
  }
  const m = mentor as Offer;
  const early = endRequested !== null;
  status = early ? 'ended_early' : 'completed';
  if (input.shareRisk) await toMentee(unsubscribeRiskSignal);
  await releaseSlot(m);
  const ended = { matchId, status, mentorId: m.mentorId, reason: endRequested };
  // A reason given by a side or an operator is free text about the pairing: sealed under both keys. The erasure's
  // own reason is not, so the row of the side that stays is written even after the erased one's key is gone.
  await mx.setMatchStatus(
    endRequested === null || endRequested === ERASED_END_REASON
      ? ended
      : markedForAll(bothOf(menteeMemberId, m.mentorMemberId), ended),
  );
  syncSearchAttributes();
  const text = endText ?? (early ? ENDED_EARLY_TEXT : completedText(weeks));
  // The erased side is not texted (their number is gone); the other side gets the plain text, no detail.
  if (!erased.has(m.mentorMemberId))
    await send({ memberId: m.mentorMemberId }, `${status}:mentor`, `mentorship_${status}`, text);
  if (!erased.has(menteeMemberId))
    await send({ memberId: menteeMemberId }, `${status}:mentee`, `mentorship_${status}`, text);
  await condition(allHandlersFinished);

  // ---- the steps ----------------------------------------------------------------------------------------------
  /**
   * The optimiser's offers after the ranked list: each time, the remaining pool (mentors with free slots not yet
   * offered this request, less the slots others hold or were offered) is matched again together with the other
   * waiting requests, and this request's mentor in that optimum is offered. Returns why it ended without one.
   */
  async function optimiserRematch(): Promise<string> {
    for (let k = 0; k < OPTIMISER_OFFERS; k++) {
      let r: { candidate: CandidateIn | null; reason: string | null };
      try {
        r = await opt.optimiseForMatch({ matchId, exclude: offers.map((o) => o.mentorId) });
      } catch (err) {
        // Its attempts are bounded (OPTIMISE): a solver that keeps failing sends the request to the operators.
        log.warn('mentorship optimiser failed', { matchId, error: String(err) });
        return 'optimiser failed; an operator should match this request';
      }
      if (!r.candidate) return r.reason ?? 'optimiser: nothing fits';
      if (await offer(openCandidate(r.candidate), offers.length + 1)) return '';
      if (menteeErased()) return ERASED_END_REASON;
    }
    return `optimiser: its ${OPTIMISER_OFFERS} offers were declined, expired or full`;
  }

  /** The cohort reserved this mentor's slot already (through `mentor-<id>`): the match is active at once. */
  async function assignedByCohort(c: Candidate, cohortId: string): Promise<void> {
    const atMs = now();
    const o: Offer = {
      mentorId: c.mentorId,
      mentorMemberId: c.mentorMemberId,
      mentorTimezone: c.mentorTimezone,
      mentorAvailability: c.mentorAvailability ?? [],
      rank: 1,
      score: c.score,
      breakdown: c.breakdown,
      weightsVersion: c.weightsVersion,
      status: 'offered',
      offeredAt: new Date(atMs).toISOString(),
      deadlineAt: new Date(atMs).toISOString(),
      remindersSent: 0,
      reason: null,
    };
    offers.push(o);
    await activate(o, `assigned by cohort ${cohortId}`);
  }

  /** The active match as it ran before sessions (histories recorded then replay through here). */
  async function activeBeforeSessions(m: Offer): Promise<void> {
    for (;;) {
      await handleActiveReplies(m);
      while (risks.length > 0) await riskAlert(m, risks.shift()!);
      const escalateAt =
        alert && !alert.acknowledged && !alert.escalated ? alert.sentAtMs + ACK_WITHIN_MS : null;
      if (escalateAt !== null && now() >= escalateAt) {
        await escalate(m);
        continue;
      }
      if (endRequested !== null || now() >= endsAtMs!) break;
      publish();
      await condition(
        () => replies.length > 0 || risks.length > 0 || endRequested !== null,
        Math.max(1, Math.min(endsAtMs!, escalateAt ?? Infinity) - now()),
      );
    }
  }

  /**
   * The active match: texts for what updates changed, risk alerts, session events (reminders, briefing, check)
   * and the inactivity clock, each at its time; paused, only replies and the resume are handled.
   */
  async function active(m: Offer): Promise<'ended' | 'rematch'> {
    for (;;) {
      for (const h of held) if (h.stale()) h.scope.cancel();
      await handleActiveReplies(m);
      while (notices.length > 0) await notify(m, notices.shift()!);
      if (fit === false) return 'rematch';
      if (endRequested !== null) return 'ended';
      if (status === 'paused') {
        publish();
        const seen = changes;
        await condition(() => replies.length > 0 || changes !== seen || endRequested !== null);
        continue;
      }
      while (risks.length > 0) await riskAlert(m, risks.shift()!);
      const escalateAt =
        alert && !alert.acknowledged && !alert.escalated ? alert.sentAtMs + ACK_WITHIN_MS : null;
      if (escalateAt !== null && now() >= escalateAt) {
        await escalate(m);
        continue;
      }
      if (now() >= endsAtMs!) return 'ended';
      const ev = nextSessionEvent(sessions, done);
      if (ev && now() >= ev.atMs) {
        done.add(ev.key);
        await sessionEvent(m, ev);
        continue;
      }
      const idle = nextIdleEvent(activeSinceMs, sessions, now(), done);
      if (idle && now() >= idle.atMs) {
        done.add(idle.key);
        if (await idleEvent(m, idle)) return 'ended';
        continue;
      }
      publish();
      const seen = changes;
      await condition(
        () => replies.length > 0 || risks.length > 0 || endRequested !== null || changes !== seen,
        Math.max(
          1,
          Math.min(endsAtMs!, escalateAt ?? Infinity, ev?.atMs ?? Infinity, idle?.atMs ?? Infinity) - now(),
        ),
      );
    }
  }

  /** Texts both sides for a change an update made (booked, moved, paused, resumed, feedback by API). */
  async function notify(m: Offer, n: Notice): Promise<void> {
    const both = async (key: string, kind: string, body: (tz: string) => string) => {
      await send({ memberId: m.mentorMemberId }, `${key}:mentor`, kind, body(m.mentorTimezone));
      await send({ memberId: menteeMemberId }, `${key}:mentee`, kind, body(menteeTz));
    };
    if (n.kind === 'booked' || n.kind === 'moved') {
      const x = sessions[n.session - 1]!;
      const text = n.kind === 'booked' ? sessionBookedText : sessionMovedText;
      await both(`session:${n.session}:v${n.reschedules}:${n.kind}`, `mentorship_session_${n.kind}`, (tz) =>
        text(localLabel(x.startsAtMs, tz)),
      );
    } else if (n.kind === 'paused' || n.kind === 'resumed') {
      await mx.setMatchStatus({ matchId, status, mentorId: m.mentorId, reason: null });
      await both(`${n.kind}:${n.at}`, `mentorship_${n.kind}`, () =>
        n.kind === 'paused' ? PAUSED_TEXT : RESUMED_TEXT,
      );
    } else if (n.kind === 'feedback') {
      await afterFeedback(m, n.session, n.from, n.rating, n.key);
    }
  }

  async function sessionEvent(m: Offer, ev: SessionEvent): Promise<void> {
    const x = sessions[ev.session - 1]!;
    const key = `${ev.key}`;
    if (ev.kind === 'remind24' || ev.kind === 'remind1') {
      const hoursBefore = ev.kind === 'remind24' ? 24 : 1;
      // The day-before reminder is held to the recipient's daytime; the 1 h one goes as it is (they booked it).
      const extra = ev.kind === 'remind24' ? { window: ALERT_WINDOW } : {};
      // A held day-before reminder is dropped if the session is moved or cancelled before it goes.
      const moves = x.reschedules;
      const stale = () => x.status !== 'scheduled' || x.reschedules !== moves;
      await send(
        { memberId: m.mentorMemberId },
        `${key}:mentor`,
        'mentorship_session_reminder',
        sessionReminderText(localLabel(x.startsAtMs, m.mentorTimezone), hoursBefore),
        extra,
        { stale },
      );
      await send(
        { memberId: menteeMemberId },
        `${key}:mentee`,
        'mentorship_session_reminder',
        sessionReminderText(localLabel(x.startsAtMs, menteeTz), hoursBefore),
        extra,
        { stale },
      );
    } else if (ev.kind === 'briefing') {
      const last = [...sessions].reverse().find((p) => p.number < x.number && p.status === 'held');
      // Both sides' ratings go in (sealed under both keys); the briefing comes back sealed with the mentee's.
      const b = await ai.writeMentorBriefing(
        markedForAll([mentee, subjectIf('member', m.mentorMemberId)], {
          menteeMemberId,
          session: x.number,
          lastSession: last ? { ratings: last.ratings } : null,
        }),
      );
      briefings.set(x.number, unmarked(b));
      // About the mentee, to the mentor: sealed under both keys, unreadable after either one's erasure.
      await send(
        { memberId: m.mentorMemberId },
        key,
        'mentorship_briefing',
        b.text + BRIEFING_MORE_HINT,
        {
          expectReply: {
            accepts: `mentorship_briefing:${x.number}`,
            untilMs: x.startsAtMs + x.minutes * MINUTE,
          },
        },
        { quoting: [mentee] },
      );
    } else {
      // After the session: presumed held unless a side says it did not happen; both are asked to rate it.
      x.status = 'held';
      for (const role of SESSION_ROLES) {
        await send(
          { memberId: role === 'mentor' ? m.mentorMemberId : menteeMemberId },
          `${key}:${role}`,
          'mentorship_session_check',
          SESSION_CHECK_TEXT,
          {
            window: ALERT_WINDOW,
            expectReply: {
              accepts: `mentorship_session:${x.number}:${role}`,
              untilMs: now() + ANSWER_WITHIN_MS,
            },
          },
        );
      }
    }
  }

  /** Thanks (or sorry) to the side that answered; after the mentee's first rating, the pairing-fit question. */
  async function afterFeedback(
    m: Offer,
    n: number,
    from: SessionRole,
    rating: number | 'no_show',
    key: string,
  ): Promise<void> {
    const to = { memberId: from === 'mentor' ? m.mentorMemberId : menteeMemberId };
    const body = rating === 'no_show' ? SESSION_NO_SHOW_TEXT : SESSION_THANKS_TEXT;
    await send(to, `session:${n}:feedback:${key}`, 'mentorship_session_feedback', body);
    if (from === 'mentee' && rating !== 'no_show' && !fitAsked && fit === null) {
      fitAsked = true;
      await send({ memberId: menteeMemberId }, `fit:${round}`, 'mentorship_fit_question', FIT_QUESTION_TEXT, {
        expectReply: { accepts: 'mentorship_fit', untilMs: now() + ANSWER_WITHIN_MS },
      });
    }
  }

  /** 30 days without a session: both nudged; 83: warned; 90: the match ends (unless it completes first). */
  async function idleEvent(m: Offer, e: IdleEvent): Promise<boolean> {
    // A match that completes before the inactivity end is neither warned nor ended for it.
    if (e.kind !== 'nudge' && endsAtMs! <= e.anchorMs + INACTIVITY_DAYS.end * DAY) return false;
    if (e.kind === 'end') {
      endRequested = 'no session for 90 days';
      endText = IDLE_ENDED_TEXT;
      return true;
    }
    const body = e.kind === 'nudge' ? NUDGE_TEXT : IDLE_WARNING_TEXT;
    const kind = e.kind === 'nudge' ? 'mentorship_nudge' : 'mentorship_idle_warning';
    await send({ memberId: m.mentorMemberId }, `${e.key}:mentor`, kind, body, { window: ALERT_WINDOW });
    await send({ memberId: menteeMemberId }, `${e.key}:mentee`, kind, body, { window: ALERT_WINDOW });
    return false;
  }

  /** The mentee said "not a fit": sessions off, the slot released, both told; the request is matched again. */
  async function rematch(m: Offer): Promise<void> {
    for (const x of upcoming()) x.status = 'cancelled';
    await releaseSlot(m);
    await send(
      { memberId: m.mentorMemberId },
      `rematch:${round}:mentor`,
      'mentorship_rematch',
      REMATCH_MENTOR_TEXT,
    );
    await send(
      { memberId: menteeMemberId },
      `rematch:${round}:mentee`,
      'mentorship_rematch',
      REMATCH_MENTEE_TEXT,
    );
    round++;
    mentor = null;
    endsAtMs = null;
    fit = null;
    fitAsked = false;
    status = 'requested';
    await mx.setMatchStatus({ matchId, status, mentorId: null, reason: 'not a fit: matching again' });
  }

  /** The mentor's slot is free again; a mentor workflow that is gone (the mentor was erased) has none to free. */
  async function releaseSlot(m: { mentorId: string }): Promise<void> {
    try {
      await getExternalWorkflowHandle(mentorWorkflowId(m.mentorId)).signal(releaseSlotSignal, { matchId });
    } catch {
      log.warn('mentor workflow not reachable to release the slot', { matchId, mentorId: m.mentorId });
    }
  }

  /** (Un)subscribes to the mentee's risk; a member workflow that is gone (erased) is logged, not fatal. */
  async function toMentee(signal: typeof subscribeRiskSignal): Promise<void> {
    try {
      await getExternalWorkflowHandle(memberWorkflowId(menteeMemberId)).signal(signal, { workflowId: self });
    } catch {
      log.warn('mentee workflow not reachable for risk subscription', { matchId });
    }
  }

  /** Offers the match to one candidate; true when they accepted and a slot was reserved. */
  async function offer(c: Candidate, rank: number): Promise<boolean> {
    const offeredAtMs = now();
    // The clock pauses in the mentor's quiet hours (deadline.ts); so do the reminders' "h left".
    let deadlineMs = afterWakingTime(offeredAtMs, acceptHours * HOUR, c.mentorTimezone);
    const o: Offer = {
      mentorId: c.mentorId,
      mentorMemberId: c.mentorMemberId,
      mentorTimezone: c.mentorTimezone,
      mentorAvailability: c.mentorAvailability ?? [],
      rank,
      score: c.score,
      breakdown: c.breakdown,
      weightsVersion: c.weightsVersion,
      status: 'offered',
      offeredAt: new Date(offeredAtMs).toISOString(),
      deadlineAt: new Date(deadlineMs).toISOString(),
      remindersSent: 0,
      reason: null,
    };
    offers.push(o);
    status = 'offered';
    let reminderAts = OFFER_REMINDER_HOURS.filter((h) => h < acceptHours).map((h) => ({
      atMs: afterWakingTime(offeredAtMs, (acceptHours - h) * HOUR, c.mentorTimezone),
      hoursLeft: h,
    }));
    // The offer is sealed under both keys; its clock comes back readable. A replay after the mentor's key is
    // gone reads the zone as UTC, so it takes the recorded clock (older histories recorded none: their zone is
    // plain, so the clock computed above is theirs).
    const recorded = clockOf(
      await mx.recordOffer(
        offerRecord(matchId, publicOffer(o), o.mentorMemberId, menteeMemberId, {
          deadlineMs,
          reminderAtMs: reminderAts.map((r) => r.atMs),
        }),
      ),
      reminderAts.length,
    );
    if (recorded) {
      deadlineMs = recorded.deadlineMs;
      o.deadlineAt = new Date(deadlineMs).toISOString();
      reminderAts = reminderAts.map((r, i) => ({ ...r, atMs: recorded.reminderAtMs[i]! }));
    }
    await toMentor(o.mentorId, true);
    await mx.setMatchStatus({ matchId, status, mentorId: null, reason: null });
    // The offer itself waits for the mentor's daytime (08:00–21:00 their zone), like their accept-by clock.
    await sendToMentor(o, `offer:${o.mentorId}`, 'mentorship_offer', offerText(acceptHours), deadlineMs, v2, {
      onSent: () => void toldOffers.add(o.mentorId),
    });
    if (!(v4 && v2)) toldOffers.add(o.mentorId);
    const reminders = reminderAts;

    while (o.status === 'offered') {
      await handleReplies();
      const d = decisions.shift();
      if (d) {
        await decide(o, d);
        continue;
      }
      if (now() >= deadlineMs) {
        await close(o, 'expired', 'no answer by the deadline');
        break;
      }
      const due = reminders[o.remindersSent];
      if (due !== undefined && now() >= due.atMs) {
        o.remindersSent++;
        await sendToMentor(
          o,
          `offer:${o.mentorId}:reminder:${o.remindersSent}`,
          'mentorship_offer_reminder',
          offerReminderText(due.hoursLeft * HOUR),
          deadlineMs,
        );
        continue;
      }
      const wakeAt = Math.min(due?.atMs ?? deadlineMs, deadlineMs);
      publish();
      await condition(() => replies.length > 0 || decisions.length > 0, Math.max(1, wakeAt - now()));
    }
    return o.status === 'accepted';
  }

  async function decide(o: Offer, d: Decision): Promise<void> {
    if (d.mentorId !== o.mentorId || o.status !== 'offered') return;
    if (d.via === 'mentor_full') return close(o, 'withdrawn', 'mentor full');
    // The mentor was erased: their offer is withdrawn and the request goes on to the next candidate, as after a NO.
    if (d.via === 'mentor_erased') {
      await close(o, 'withdrawn', 'mentor erased');
      await dropHeld(); // an offer text still held for their daytime is not sent
      return;
    }
    if (d.via === 'mentee_erased') {
      // The request ends (step 2c). A mentor who had the offer is told it ended, without any detail; an offer
      // text still held for their daytime is not sent.
      await close(o, 'withdrawn', ERASED_END_REASON);
      await dropHeld();
      if (toldOffers.has(o.mentorId))
        await send(
          { memberId: o.mentorMemberId },
          `offer:${o.mentorId}:ended`,
          'mentorship_ended_early',
          ENDED_EARLY_TEXT,
        );
      return;
    }
    if (!d.accept) {
      const reason = d.via === 'opt_out' ? 'mentor opted out' : `declined by ${d.via}`;
      await close(o, 'declined', reason);
      if (d.via === 'sms')
        await send(
          { memberId: o.mentorMemberId },
          `offer:${o.mentorId}:declined`,
          'mentorship_declined_ack',
          DECLINED_ACK_TEXT,
        );
      return;
    }
    const { reserved } = await mx.reserveMentorSlot({ mentorId: o.mentorId, matchId });
    if (!reserved) {
      await close(o, 'withdrawn', 'mentor full');
      await send(
        { memberId: o.mentorMemberId },
        `offer:${o.mentorId}:full`,
        'mentorship_offer_withdrawn',
        MENTOR_FULL_TEXT,
      );
      return;
    }
    await activate(o, `accepted by ${d.via}`);
  }

  /** The mentor holds a slot for this match: it is active, both sides are told. */
  async function activate(o: Offer, reason: string): Promise<void> {
    // The whole state moves before anything is awaited: an API caller waiting on the offer sees the match active.
    mentor = o;
    status = 'active';
    // An accept that raced an erasure of either side: the match ends at once (the loop sees the reason).
    if ((erased.has(o.mentorMemberId) || menteeErased()) && endRequested === null)
      endRequested = ERASED_END_REASON;
    endsAtMs = now() + weeks * 7 * 24 * HOUR;
    activeSinceMs = now();
    const again = round === 1 ? '' : `:${round}`;
    await close(o, 'accepted', reason);
    await mx.setMatchStatus({ matchId, status, mentorId: o.mentorId, reason: null });
    await send(
      { memberId: o.mentorMemberId },
      `matched:mentor${again}`,
      'mentorship_matched',
      matchedMentorText(weeks),
    );
    await send(
      { memberId: menteeMemberId },
      `matched:mentee${again}`,
      'mentorship_matched',
      matchedMenteeText(weeks),
    );
  }

  async function close(o: Offer, to: Offer['status'], reason: string): Promise<void> {
    o.status = to;
    o.reason = reason;
    await mx.recordOffer(offerRecord(matchId, publicOffer(o), o.mentorMemberId, menteeMemberId));
    if (to !== 'accepted') await toMentor(o.mentorId, false);
  }

  /** Tells `mentor-<id>` an offer opened or closed (so a mentor who fills up withdraws the rest at once). */
  async function toMentor(mentorId: string, open: boolean): Promise<void> {
    try {
      await getExternalWorkflowHandle(mentorWorkflowId(mentorId)).signal(offerSignal, { matchId, open });
    } catch {
      log.warn('mentor workflow not reachable', { matchId, mentorId });
    }
  }

  /** YES/NO from the mentor an offer was addressed to (the expectation's `accepts` names them). */
  async function handleReplies(): Promise<void> {
    while (replies.length > 0) {
      const r = replies.shift()!;
      const mentorId = addressee(r);
      const o = live();
      if (!o || mentorId !== o.mentorId) {
        await answerClosed(r);
        continue;
      }
      const word =
        r.body
          .trim()
          .toUpperCase()
          .replace(/[^A-Z]/g, ' ')
          .split(' ')[0] ?? '';
      if (['YES', 'Y', 'ACCEPT', 'OK'].includes(word))
        decisions.push({ mentorId, accept: true, via: 'sms', inboundId: r.inboundId });
      else if (['NO', 'N', 'DECLINE', 'PASS'].includes(word))
        decisions.push({ mentorId, accept: false, via: 'sms', inboundId: r.inboundId });
      else
        await send(
          { memberId: o.mentorMemberId },
          `hint:${r.inboundId}`,
          'mentorship_offer_hint',
          OFFER_HINT_TEXT,
        );
    }
  }

  /** Replies to an offer that has closed (late YES, or while active): told it closed, nothing changes. */
  async function answerLateReplies(): Promise<void> {
    while (replies.length > 0) await answerClosed(replies.shift()!);
  }

  async function answerClosed(r: InboundReply): Promise<void> {
    const o = offers.find((x) => x.mentorId === addressee(r));
    if (!o) {
      log.info('reply to a mentorship match from no known offer; ignored', {
        matchId,
        inboundId: r.inboundId,
      });
      return;
    }
    await send(
      { memberId: o.mentorMemberId },
      `closed:${r.inboundId}`,
      'mentorship_offer_closed',
      OFFER_CLOSED_TEXT,
    );
  }

  /**
   * At most one alert a local day, held until the mentor's morning in quiet hours; it expects the mentor's OK
   * (the 24 h to acknowledge run from when it was sent).
   */
  async function riskAlert(m: Offer, day: string): Promise<void> {
    if (lastAlertDate === day) return;
    lastAlertDate = day;
    riskAlerts++;
    // The 24 h to acknowledge run from when it goes out (held in quiet hours: not yet, so no escalation yet).
    const a: RiskAlert = { localDate: day, sentAtMs: Infinity, acknowledged: false, escalated: false };
    await send(
      { memberId: m.mentorMemberId },
      `risk:${day}`,
      'mentorship_risk_alert',
      RISK_ALERT_TEXT,
      {
        window: ALERT_WINDOW,
        expectReply: { accepts: `mentorship_risk:${m.mentorId}`, untilMs: now() + 2 * ACK_WITHIN_MS },
      },
      {
        onSent: () => {
          a.sentAtMs = now();
          changes++;
        },
      },
    );
    if (!v4) a.sentAtMs = now();
    alert = a;
  }

  /** Not acknowledged in 24 h: visible to operators (the match row's reason, the Web UI, the API). */
  async function escalate(m: Offer): Promise<void> {
    alert!.escalated = true;
    log.warn('risk alert not acknowledged within 24 h; escalated', { matchId, mentorId: m.mentorId });
    // The reason dates the mentee's risk: sealed under both keys.
    await mx.setMatchStatus(
      markedForAll(bothOf(menteeMemberId, m.mentorMemberId), {
        matchId,
        status,
        mentorId: m.mentorId,
        reason: `risk alert of ${alert!.localDate} not acknowledged within 24 h`,
      }),
    );
    // The escalated alert goes to the mentor at once: the once-a-day limit and quiet hours do not hold it back.
    if (v2)
      await send(
        { memberId: m.mentorMemberId },
        `risk:${alert!.localDate}:escalated`,
        'mentorship_risk_escalated',
        RISK_ESCALATED_TEXT,
        { expectReply: { accepts: `mentorship_risk:${m.mentorId}`, untilMs: now() + ACK_WITHIN_MS } },
      );
  }

  /** While active: the mentor's OK to a risk alert; anything else addressed to an offer is told it closed. */
  async function handleActiveReplies(m: Offer): Promise<void> {
    while (replies.length > 0) {
      const r = replies.shift()!;
      if (v2 && (await sessionReply(m, r))) continue;
      if (r.accepts !== `mentorship_risk:${m.mentorId}`) {
        await answerClosed(r);
        continue;
      }
      const word =
        r.body
          .trim()
          .toUpperCase()
          .replace(/[^A-Z]/g, ' ')
          .split(' ')[0] ?? '';
      if (word === 'OK' && alert && !alert.acknowledged) {
        alert.acknowledged = true;
        await send(
          { memberId: m.mentorMemberId },
          `risk_ack:${r.inboundId}`,
          'mentorship_risk_ack',
          RISK_ACK_TEXT,
        );
      } else if (word !== 'OK') {
        await send(
          { memberId: m.mentorMemberId },
          `risk_hint:${r.inboundId}`,
          'mentorship_risk_hint',
          RISK_HINT_TEXT,
        );
      }
    }
  }

  /** Replies to a session check, the pairing-fit question or a briefing (MORE); false when it is none of them. */
  async function sessionReply(m: Offer, r: InboundReply): Promise<boolean> {
    const a = r.accepts ?? '';
    const check = /^mentorship_session:(\d+):(mentor|mentee)$/.exec(a);
    if (check) {
      const n = Number(check[1]);
      const from = check[2] as SessionRole;
      const x = sessions[n - 1];
      const rating = parseRating(r.body);
      const to = { memberId: from === 'mentor' ? m.mentorMemberId : menteeMemberId };
      if (!x || rating === null) {
        await send(to, `session_hint:${r.inboundId}`, 'mentorship_session_hint', SESSION_CHECK_HINT_TEXT);
      } else {
        applyFeedback(n, from, rating);
        await afterFeedback(m, n, from, rating, `sms:${r.inboundId}`);
      }
      return true;
    }
    if (a === 'mentorship_fit') {
      const answer = parseFit(r.body);
      if (answer === null || fit !== null) {
        if (fit === null)
          await send(
            { memberId: menteeMemberId },
            `fit_hint:${r.inboundId}`,
            'mentorship_fit_hint',
            FIT_HINT_TEXT,
          );
        return true;
      }
      fit = answer;
      if (answer)
        await send(
          { memberId: menteeMemberId },
          `fit:${round}:yes`,
          'mentorship_fit_thanks',
          FIT_THANKS_TEXT,
        );
      return true;
    }
    const brief = /^mentorship_briefing:(\d+)$/.exec(a);
    if (brief) {
      const n = Number(brief[1]);
      const b = briefings.get(n);
      if (b && /^\s*MORE\b/i.test(r.body))
        await send(
          { memberId: m.mentorMemberId },
          `briefing:${n}:more:${r.inboundId}`,
          'mentorship_briefing_more',
          b.more,
          {},
          { quoting: [mentee] },
        );
      return true;
    }
    return false;
  }

  function sendToMentor(
    o: Offer,
    key: string,
    kind: string,
    body: string,
    untilMs: number,
    daytime = false,
    opts: { onSent?: () => void } = {},
  ): Promise<void> {
    return send(
      { memberId: o.mentorMemberId },
      key,
      kind,
      body,
      {
        expectReply: { accepts: `mentorship_offer:${o.mentorId}`, untilMs },
        ...(daytime ? { window: ALERT_WINDOW } : {}),
      },
      opts,
    );
  }

  /**
   * Sends a text. One held to a daytime window (matches with `mentorship-held-texts`) goes on its own: the caller
   * does not wait for it; `onSent` runs when it went out, `stale` says when it should no longer go.
   */
  async function send(
    to: { memberId: string },
    key: string,
    kind: string,
    body: string,
    extra: Pick<SendSmsInput, 'window' | 'expectReply'> = {},
    opts: { stale?: () => boolean; onSent?: () => void; quoting?: Array<Subject | null> } = {},
  ): Promise<void> {
    const message = () =>
      sendMessage(
        {
          idempotencyKey: `mentorship-match:${matchId}:${key}`,
          to,
          kind,
          purpose: 'transactional',
          body,
          ...extra,
        },
        { quoting: opts.quoting ?? [] },
      );
    if (!(v4 && extra.window)) {
      await message();
      return;
    }
    const scope = new CancellationScope();
    const h: HeldText = { scope, stale: opts.stale ?? (() => false), done: Promise.resolve() };
    h.done = scope
      .run(message)
      .then(
        () => opts.onSent?.(),
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
        },
      )
      .finally(() => held.delete(h));
    held.add(h);
  }

  /** The pairing ends: texts still held for it are not sent. */
  async function dropHeld(): Promise<void> {
    const all = [...held];
    for (const h of all) h.scope.cancel();
    await Promise.all(all.map((h) => h.done));
  }
}

const addressee = (r: InboundReply): string | null =>
  r.accepts?.startsWith('mentorship_offer:') ? r.accepts.slice('mentorship_offer:'.length) : null;

function publicOffer({
  mentorMemberId: _m,
  mentorTimezone: _z,
  mentorAvailability: _a,
  ...o
}: Offer): OfferView {
  return o;
}

/** `Tue 18:00` (or with the date: `Tue 2028-07-11 18:00`) in the zone. */
function localLabel(ms: number, tz: string, withDate = false): string {
  const p = localParts(ms, tz);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][p.weekday]!;
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = withDate ? ` ${p.year}-${pad(p.month)}-${pad(p.day)}` : '';
  return `${day}${date} ${pad(p.hour)}:${pad(p.minute)}`;
}
