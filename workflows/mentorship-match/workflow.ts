/**
 * The mentorship match workflow (`mentorship-match-<id>`), one per mentee request. Read it from the top:
 * handlers, then the match's process in the order it happens — rank up to 5 candidates, offer them one at a time
 * (exactly one live offer, accept-by deadline with reminders at 24 h and 4 h left; YES/NO by SMS through
 * conversation routing or by API), reserve a slot in the mentor's own workflow on accept (an update that checks
 * capacity), then the active match (risk alerts to the mentor) until it completes or ends early. When every
 * candidate declined, expired or was full, the request goes to the operator queue (status `unmatched`, with the
 * reason) and the mentee is told: nothing stays pending forever. Every state change comes from a timer or a
 * message, never a scan. No personal data in input or state (ids only).
 */
import {
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createMentorshipActivities } from '../../activities/mentorship.js';
import type { SendSmsInput } from '../../activities/messaging.js';
import { DB_WRITE } from '../lib/activity-options.js';
import { invalidInput } from '../lib/failures.js';
import { sendMessage } from '../lib/outbound.js';
import { memberWorkflowId, mentorWorkflowId } from '../ids.js';
import { offerSignal, releaseSlotSignal } from '../mentor/definitions.js';
import { subscribeRiskSignal, unsubscribeRiskSignal } from '../member/definitions.js';
import {
  answerOfferUpdate,
  consentSignal,
  endMatchUpdate,
  matchStateQuery,
  mentorFullSignal,
  replySignal,
  riskChangedSignal,
  type Candidate,
  type InboundReply,
  type MatchSnapshot,
  type MatchWorkflowInput,
  type OfferView,
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
  RISK_HINT_TEXT,
  UNMATCHED_MENTEE_TEXT,
} from './texts.js';
import { afterWakingTime } from './deadline.js';
import { MATCH_DEFAULTS, OFFER_REMINDER_HOURS, type MatchStatus } from './values.js';

export type { MatchSnapshot, MatchWorkflowInput } from './definitions.js';

const HOUR = 3_600_000;
/** A risk alert not acknowledged (OK) this long after it was sent is escalated to operators. */
const ACK_WITHIN_MS = 24 * HOUR;
/** Risk alerts are held to the mentor's daytime (quiet hours). */
const ALERT_WINDOW = { start: '08:00', end: '21:00' } as const;

/** Rankings, offers, match rows and the mentor's slot (an update on `mentor-<id>`): the mentorship group only. */
const mx = proxyActivities<ReturnType<typeof createMentorshipActivities>>(DB_WRITE);

interface Offer extends OfferView {
  mentorMemberId: string;
  mentorTimezone: string;
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
  via: 'sms' | 'api' | 'opt_out' | 'mentor_full';
  inboundId?: number;
};

export async function mentorshipMatchWorkflow(input: MatchWorkflowInput): Promise<void> {
  const { matchId, menteeMemberId } = input;
  const weeks = input.weeks ?? MATCH_DEFAULTS.weeks;
  const acceptHours = input.acceptHours ?? MATCH_DEFAULTS.acceptHours;
  const now = () => Date.now();
  const self = workflowInfo().workflowId;

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
  });

  /** What an operator sees on the Temporal Web UI's workflow page (ids and states only). */
  const publish = (): void => {
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
        `offers: ${offers.map((x) => `${x.rank}. ${x.mentorId} ${x.status} (${x.score}, ${x.weightsVersion})`).join('; ') || 'none yet'}`,
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  };

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
  setHandler(riskChangedSignal, (change) => {
    if (change.to === 'high' && change.from !== 'high') risks.push(change.localDate);
  });
  setHandler(
    answerOfferUpdate,
    async (a) => {
      const o = live()!;
      decisions.push({ ...a, via: 'api' });
      await condition(() => o.status !== 'offered');
      return snapshot();
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
      await condition(() => status !== 'active');
      return snapshot();
    },
    {
      validator: ({ reason }) => {
        if (typeof reason !== 'string' || reason.trim() === '') throw invalidInput('reason', 'is required');
        if (status !== 'active') throw invalidInput('status', `match is ${status}, not active`);
      },
    },
  );

  // ---- 1. rank up to 5 candidates ---------------------------------------------------------------------------
  const candidates = await mx.rankMentorsForMatch({ matchId, limit: MATCH_DEFAULTS.maxCandidates });

  // ---- 2. one live offer at a time, until one is accepted -----------------------------------------------------
  for (const [i, c] of candidates.entries()) {
    if (await offer(c, i + 1)) break;
  }

  // ---- 3. nobody took it: the operator queue, and the mentee is told ----------------------------------------
  if (!mentor) {
    status = 'unmatched';
    unmatchedReason =
      candidates.length === 0
        ? 'no mentor has a free slot'
        : `all ${candidates.length} candidates declined, let the offer expire or were full`;
    publish();
    await mx.setMatchStatus({ matchId, status, mentorId: null, reason: unmatchedReason });
    await send({ memberId: menteeMemberId }, 'unmatched', 'mentorship_unmatched', UNMATCHED_MENTEE_TEXT);
    await answerLateReplies();
    await condition(allHandlersFinished);
    return;
  }

  // ---- 4. the active match: risk alerts until it completes or ends early -----------------------------------
  const m = mentor as Offer;
  if (input.shareRisk) await toMentee(subscribeRiskSignal);
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
  const early = endRequested !== null;
  status = early ? 'ended_early' : 'completed';
  if (input.shareRisk) await toMentee(unsubscribeRiskSignal);
  await getExternalWorkflowHandle(mentorWorkflowId(m.mentorId)).signal(releaseSlotSignal, { matchId });
  await mx.setMatchStatus({ matchId, status, mentorId: m.mentorId, reason: endRequested });
  const text = early ? ENDED_EARLY_TEXT : completedText(weeks);
  await send({ memberId: m.mentorMemberId }, `${status}:mentor`, `mentorship_${status}`, text);
  await send({ memberId: menteeMemberId }, `${status}:mentee`, `mentorship_${status}`, text);
  await condition(allHandlersFinished);

  // ---- the steps ----------------------------------------------------------------------------------------------

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
    const deadlineMs = afterWakingTime(offeredAtMs, acceptHours * HOUR, c.mentorTimezone);
    const o: Offer = {
      mentorId: c.mentorId,
      mentorMemberId: c.mentorMemberId,
      mentorTimezone: c.mentorTimezone,
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
    await mx.recordOffer({ matchId, ...publicOffer(o) });
    await toMentor(o.mentorId, true);
    await mx.setMatchStatus({ matchId, status, mentorId: null, reason: null });
    await sendToMentor(o, `offer:${o.mentorId}`, 'mentorship_offer', offerText(acceptHours), deadlineMs);
    const reminders = OFFER_REMINDER_HOURS.filter((h) => h < acceptHours).map((h) => ({
      atMs: afterWakingTime(offeredAtMs, (acceptHours - h) * HOUR, c.mentorTimezone),
      hoursLeft: h,
    }));

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
    // The whole state moves before anything is awaited: an API caller waiting on the offer sees the match active.
    mentor = o;
    status = 'active';
    endsAtMs = now() + weeks * 7 * 24 * HOUR;
    await close(o, 'accepted', `accepted by ${d.via}`);
    await mx.setMatchStatus({ matchId, status, mentorId: o.mentorId, reason: null });
    await send(
      { memberId: o.mentorMemberId },
      'matched:mentor',
      'mentorship_matched',
      matchedMentorText(weeks),
    );
    await send(
      { memberId: menteeMemberId },
      'matched:mentee',
      'mentorship_matched',
      matchedMenteeText(weeks),
    );
  }

  async function close(o: Offer, to: Offer['status'], reason: string): Promise<void> {
    o.status = to;
    o.reason = reason;
    await mx.recordOffer({ matchId, ...publicOffer(o) });
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
    await send({ memberId: m.mentorMemberId }, `risk:${day}`, 'mentorship_risk_alert', RISK_ALERT_TEXT, {
      window: ALERT_WINDOW,
      expectReply: { accepts: `mentorship_risk:${m.mentorId}`, untilMs: now() + 2 * ACK_WITHIN_MS },
    });
    alert = { localDate: day, sentAtMs: now(), acknowledged: false, escalated: false };
  }

  /** Not acknowledged in 24 h: visible to operators (the match row's reason, the Web UI, the API). */
  async function escalate(m: Offer): Promise<void> {
    alert!.escalated = true;
    log.warn('risk alert not acknowledged within 24 h; escalated', { matchId, mentorId: m.mentorId });
    await mx.setMatchStatus({
      matchId,
      status,
      mentorId: m.mentorId,
      reason: `risk alert of ${alert!.localDate} not acknowledged within 24 h`,
    });
  }

  /** While active: the mentor's OK to a risk alert; anything else addressed to an offer is told it closed. */
  async function handleActiveReplies(m: Offer): Promise<void> {
    while (replies.length > 0) {
      const r = replies.shift()!;
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

  function sendToMentor(o: Offer, key: string, kind: string, body: string, untilMs: number): Promise<void> {
    return send({ memberId: o.mentorMemberId }, key, kind, body, {
      expectReply: { accepts: `mentorship_offer:${o.mentorId}`, untilMs },
    });
  }

  async function send(
    to: { memberId: string },
    key: string,
    kind: string,
    body: string,
    extra: Pick<SendSmsInput, 'window' | 'expectReply'> = {},
  ): Promise<void> {
    await sendMessage({
      idempotencyKey: `mentorship-match:${matchId}:${key}`,
      to,
      kind,
      purpose: 'transactional',
      body,
      ...extra,
    });
  }
}

const addressee = (r: InboundReply): string | null =>
  r.accepts?.startsWith('mentorship_offer:') ? r.accepts.slice('mentorship_offer:'.length) : null;

function publicOffer({ mentorMemberId: _m, mentorTimezone: _z, ...o }: Offer): OfferView {
  return o;
}
