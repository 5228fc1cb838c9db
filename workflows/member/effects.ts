/**
 * Every side effect of the member workflow, in one place: its texts (one send path, business idempotency keys),
 * Postgres records, AI texts, risk publication and what operators see. Workflow code (deterministic); each
 * activity group is reached through its own proxy, typed by its own factory, with named options.
 */
import {
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createAiActivities } from '../../activities/ai/index.js';
import type { createMemberActivities, DayEntry } from '../../activities/members.js';
import type { SendSmsInput } from '../../activities/messaging.js';
import { AI, DB_WRITE } from '../lib/activity-options.js';
import { fieldErrorsOf } from '../lib/failures.js';
import { attemptSend, MAX_DEFERRALS, sendMessage } from '../lib/outbound.js';
import { holdText, takeDueHeld } from './held.js';
import { localDate } from '../lib/time.js';
import { unsubscribeRisk } from './changes.js';
import { weekTotals } from './days.js';
import { crewAnswerSignal } from '../crew-challenge/definitions.js';
import { crewChallengeWorkflowId } from '../ids.js';
import type { CrewAnswerOut } from './crews.js';
import { riskChangedSignal, type GoalInput, type GoalView, type InboundReply } from './definitions.js';
import { newGoal, type GoalState } from './goals.js';
import { riskChange } from './risk.js';
import { markedFor } from '../lib/subject.js';
import { CONFIRM_EXPECTED_MS } from './schedule.js';
import { MEMBER_ID_SA, MEMBER_STATUS_SA, RISK_LEVEL_SA } from './search-attributes.js';
import { currentDetails, effectiveStatus, goalView, type MemberState } from './state.js';

/** Postgres writes of the member (check-ins, goals, risk, status): the member group only. */
const db = proxyActivities<ReturnType<typeof createMemberActivities>>(DB_WRITE);
/** AI texts (plan, motivation, weekly summary, moderation): the AI group only. */
const ai = proxyActivities<ReturnType<typeof createAiActivities>>(AI);

type SendExtra = Pick<SendSmsInput, 'window' | 'expectReply'>;

/** Runs with this marker keep a held text in the state and go on (held.ts); before, they waited for it. */
export const HELD_TEXTS_PATCH = 'member-held-texts';

export function memberEffects(memberId: string, state: MemberState) {
  const now = () => Date.now();

  /**
   * A transactional text to the member, keyed `member:<id>:<key>`. A text the gate holds (quiet hours, the daily
   * cap) is kept in the state and asked again when due (`sendHeld`), so the process goes on meanwhile; runs
   * before `HELD_TEXTS_PATCH` waited for it here.
   */
  async function send(key: string, kind: string, body: string, extra: SendExtra = {}): Promise<void> {
    const input: SendSmsInput = {
      idempotencyKey: `member:${memberId}:${key}`,
      to: { memberId },
      kind,
      purpose: 'transactional',
      body,
      ...extra,
    };
    if (!patched(HELD_TEXTS_PATCH)) {
      await sendMessage(input);
      return;
    }
    const res = await attemptSend(input);
    if (res.outcome === 'deferred') holdText(state, input, res.untilMs);
  }

  /** The held texts now due, asked again in the order they fell due; one held once more stays held. */
  async function sendHeld(nowMs: number): Promise<void> {
    for (const h of takeDueHeld(state, nowMs)) {
      if (state.status === 'erased') return;
      const res = await attemptSend(h.input);
      if (res.outcome !== 'deferred') continue;
      if (h.deferrals + 1 >= MAX_DEFERRALS)
        log.warn('held text dropped after too many deferrals', { memberId, kind: h.input.kind });
      else holdText(state, h.input, res.untilMs, h.deferrals + 1);
    }
  }

  /** Risk from the day record; a change is stored, published and signalled to subscribers. */
  async function evaluateRisk(): Promise<void> {
    const found = riskChange(memberId, state.days, state.risk, localDate(now(), state.timezone));
    if (!found) return;
    // The member's risk and adherence: sealed with their key in this history and in the matches it is signalled to.
    const change = markedFor('member', memberId, found);
    state.risk = change.to;
    log.info('risk level changed', { memberId, from: change.from, to: change.to });
    await db.recordRiskChange(change);
    for (const workflowId of state.riskSubscribers) {
      try {
        await getExternalWorkflowHandle(workflowId).signal(riskChangedSignal, change);
      } catch {
        log.warn('risk subscriber is gone; unsubscribed', { workflowId });
        unsubscribeRisk(state, { workflowId });
      }
    }
  }

  return {
    send,
    sendHeld,

    /** The answer to one inbound text, keyed by it. */
    answer: (r: InboundReply, kind: string, body: string) => send(`${kind}:${r.inboundId}`, kind, body),

    /** The welcome and its reminder expect the member's YES for a week (conversation routing). */
    expectConfirm: (): SendExtra => ({
      expectReply: { accepts: 'confirm', untilMs: now() + CONFIRM_EXPECTED_MS },
    }),

    /** The member confirmed by this inbound YES: the opt-in goes into the consent ledger, then onto the row. */
    confirmed: (inboundId: number) =>
      db.setMemberStatus({ memberId, status: 'active', confirmedByInboundId: inboundId }),

    /** Whether a reflection may be shared (moderation); null when there is none. */
    async shareable(reflection: string | undefined): Promise<boolean | null> {
      return reflection ? (await ai.moderateReflection({ memberId, text: reflection })).shareable : null;
    },

    /**
     * One day's check-ins with the day streak as it now stands. Input the store refuses for good (e.g. a
     * reflection it cannot hold) is logged by ids and skipped: the member's process carries on. Then the risk.
     */
    async recordDay(day: string, entries: DayEntry[]): Promise<void> {
      try {
        await db.recordDay({
          memberId,
          localDate: day,
          entries,
          currentStreak: state.currentStreak,
          longestStreak: state.longestStreak,
        });
      } catch (err) {
        const refused = fieldErrorsOf(err);
        if (!refused) throw err;
        log.warn('check-ins refused by the store; not recorded', {
          memberId,
          localDate: day,
          fields: refused.map((f) => f.field),
        });
      }
    },

    evaluateRisk,

    /**
     * Each crew's part of one reply, signalled to its challenge, keyed `sms:<inbound id>` (the challenge counts
     * a key once). A challenge that has ended is skipped (logged by ids).
     */
    async tellCrews(r: InboundReply, answers: readonly CrewAnswerOut[]): Promise<void> {
      for (const { challengeId, ...answer } of answers) {
        try {
          await getExternalWorkflowHandle(crewChallengeWorkflowId(challengeId)).signal(
            crewAnswerSignal,
            // The answer and reflection are the member's personal data: sealed with their key.
            markedFor('member', memberId, { ...answer, memberId, key: `sms:${r.inboundId}` }),
          );
        } catch {
          log.warn('crew answer not delivered: the challenge is gone', { memberId, challengeId });
        }
      }
    },

    /** The answer to a completed check-in: AI motivation in the member's tone from the last days. */
    async acknowledge(day: string, reflection: string | undefined): Promise<void> {
      const recent = state.days.slice(-7).map((d) => ({
        localDate: d.localDate,
        status: d.status,
        reflection: d.localDate === day ? (reflection ?? null) : null,
      }));
      const motivation = await ai.writeMotivation({
        memberId,
        tone: state.tone,
        streak: state.currentStreak,
        recent,
      });
      await send(`ack:${day}`, 'checkin_ack', motivation.text);
    },

    /** The weekly summary of the 7 days ending `today` (none in a week with nothing due). */
    async weeklySummary(today: string): Promise<void> {
      const { weekStart, done, due } = weekTotals(state.days, today);
      if (due === 0) return;
      const summary = await ai.writeWeeklySummary({
        memberId,
        tone: state.tone,
        weekStart,
        adherence7: done / due,
        done,
        due,
        currentStreak: state.currentStreak,
        longestStreak: state.longestStreak,
      });
      await send(`weekly:${weekStart}`, 'weekly_summary', summary.text);
    },

    /**
     * A goal with its AI plan, stored. A goal the store refuses for good (InvalidInput: characters Postgres
     * cannot hold) is dropped again and the refusal thrown (the update fails naming the field; an SMS is answered).
     */
    async addGoal(input: GoalInput): Promise<GoalState> {
      const g = newGoal(state.nextGoalId, input, localDate(now(), state.timezone));
      state.nextGoalId = g.id + 1;
      state.goals = [...state.goals, g];
      const { plan, prompt } = await ai.generatePlan({
        memberId,
        goal: { title: g.title, cadence: g.cadence },
        tone: state.tone,
      });
      g.plan = plan;
      g.planSource = prompt;
      try {
        await db.storeGoal({ memberId, goal: goalView(g) });
      } catch (err) {
        const refused = fieldErrorsOf(err);
        if (refused) {
          state.goals = state.goals.filter((x) => x !== g);
          log.warn('goal refused by the store; dropped', {
            memberId,
            goalId: g.id,
            fields: refused.map((f) => f.field),
          });
        }
        throw err;
      }
      return g;
    },

    /** Mirrors a goal (e.g. just archived) to Postgres. */
    async storeGoal(goal: GoalState): Promise<GoalView> {
      await db.storeGoal({ memberId, goal: goalView(goal) });
      return goalView(goal);
    },

    /** The Web UI's current details, and the search attributes when the run was started with them. */
    publish(): void {
      setCurrentDetails(currentDetails(state, now()));
      const info = workflowInfo().typedSearchAttributes;
      if (info.get(MEMBER_ID_SA) === undefined) return;
      const status = effectiveStatus(state, now());
      if (info.get(MEMBER_STATUS_SA) === status && info.get(RISK_LEVEL_SA) === state.risk) return;
      upsertSearchAttributes([
        { key: MEMBER_STATUS_SA, value: status },
        { key: RISK_LEVEL_SA, value: state.risk },
      ]);
    },
  };
}
