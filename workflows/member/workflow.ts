/**
 * The member entity workflow (`member-<id>`): lives as long as the member. Read it from the top: the handlers
 * (one line each, into the pure modules of this folder), then the member's process in the order it happens —
 * onboarding, the days (prompt, nudge, end of day, weekly summary, and the replies in between), continue-as-new.
 *
 * Rules live in pure modules: `schedule.ts` (when: next prompt, nudge, summary, THE next wake), `days.ts` (day
 * outcomes and THE streak rule), `goals.ts`, `replies.ts` (what a text means), `risk.ts`, `changes.ts` (signals,
 * updates, validators), `state.ts`, and `texts.ts` (every SMS text). No personal data in the input or state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createAiActivities } from '../../activities/ai/index.js';
import type { DayEntry, createMemberActivities } from '../../activities/members.js';
import type { SendSmsInput } from '../../activities/messaging.js';
import { AI, DB_WRITE } from '../lib/activity-options.js';
import { fieldErrorsOf } from '../lib/failures.js';
import { Lock } from '../lib/lock.js';
import { sendMessage } from '../lib/outbound.js';
import { localDate, startOfNextLocalDay } from '../lib/time.js';
import {
  applyConsent,
  applyPreferences,
  archiveGoal,
  erase,
  markHandled,
  queueReply,
  rearm,
  subscribeRisk,
  unsubscribeRisk,
  validateArchive,
  validateGoal,
  validatePreferences,
} from './changes.js';
import { answerDay, answerLate, closeDay, weekTotals, withOutcome } from './days.js';
import {
  addGoalUpdate,
  archiveGoalUpdate,
  consentSignal,
  eraseSignal,
  memberStateQuery,
  preferencesSignal,
  replySignal,
  riskChangedSignal,
  subscribeRiskSignal,
  unsubscribeRiskSignal,
  updatePreferencesUpdate,
  type GoalInput,
  type GoalView,
  type InboundReply,
} from './definitions.js';
import { dueOn, newGoal, type GoalState } from './goals.js';
import { decideReply } from './replies.js';
import { riskChange } from './risk.js';
import {
  CONFIRM_EXPECTED_MS,
  nextPromptAt,
  nextSummaryAt,
  nextWake,
  nudgeAt,
  NUDGE_WINDOW,
} from './schedule.js';
import type { MemberEvent } from './schedule.js';
import { MEMBER_ID_SA, MEMBER_STATUS_SA, RISK_LEVEL_SA } from './search-attributes.js';
import {
  activeGoals,
  currentDetails,
  effectiveStatus,
  goalView,
  initialState,
  isPausedOn,
  snapshot,
  type MemberWorkflowInput,
} from './state.js';
import {
  CLARIFY_TEXT,
  CONFIRM_HINT_TEXT,
  confirmedText,
  GOAL_HELP_TEXT,
  goalAddedText,
  goalRejectedText,
  lateAckText,
  nudgeText,
  partialAckText,
  promptText,
  REST_TEXT,
  unknownGoalText,
  welcomeText,
  WELCOME_REMINDER_TEXT,
} from './texts.js';
import { MEMBER_DEFAULTS } from './values.js';

export type { MemberState, MemberWorkflowInput, OpenPrompt } from './state.js';

/** Postgres writes of the member (check-ins, goals, risk, status): the member group only. */
const db = proxyActivities<ReturnType<typeof createMemberActivities>>(DB_WRITE);
/** AI texts (plan, motivation, weekly summary, moderation): the AI group only. */
const ai = proxyActivities<ReturnType<typeof createAiActivities>>(AI);

/** Continue-as-new after this many prompts even if the server has not suggested it yet. */
const MAX_DAYS_PER_RUN = 60;

export async function memberWorkflow(input: MemberWorkflowInput): Promise<void> {
  const { memberId } = input;
  const maxActiveGoals = input.maxActiveGoals ?? MEMBER_DEFAULTS.maxActiveGoals;
  const state = initialState(input, Date.now());
  /** Steps of the process and handlers that await activities take turns. */
  const lock = new Lock();
  /** Bumped by every handler: the wait for the next event wakes on it. */
  let changes = 0;
  let promptsThisRun = 0;
  const changed = <T>(v: T): T => (changes++, v);
  /** For signals: the change is made, the main loop is woken. */
  const touch = (_change: unknown): void => void changes++;
  const now = () => Date.now();

  // ---- handlers -------------------------------------------------------------------------------------------
  setHandler(memberStateQuery, () => snapshot(memberId, state, now()));
  setHandler(replySignal, (reply) => touch(queueReply(state, reply)));
  setHandler(consentSignal, (change) => touch(applyConsent(state, change, now())));
  setHandler(preferencesSignal, (prefs) => touch(applyPreferences(state, prefs, now())));
  setHandler(eraseSignal, () => touch(erase(state)));
  setHandler(subscribeRiskSignal, (sub) => void subscribeRisk(state, sub));
  setHandler(unsubscribeRiskSignal, (sub) => void unsubscribeRisk(state, sub));
  setHandler(
    updatePreferencesUpdate,
    (prefs) => changed(snapshot(memberId, applyPreferences(state, prefs, now()), now())),
    { validator: (prefs) => validatePreferences(state, prefs, now()) },
  );
  setHandler(addGoalUpdate, (goal) => lock.run(async () => changed(await addGoal(goal))), {
    validator: (goal) => validateGoal(state, goal, maxActiveGoals),
  });
  setHandler(archiveGoalUpdate, ({ goalId }) => lock.run(async () => changed(await archive(goalId))), {
    validator: ({ goalId }) => validateArchive(state, goalId),
  });

  // ---- 1. onboarding: the welcome; nothing else is sent until YES (one reminder after 24 h) ------------------
  if (state.onboarding && !input.state) {
    await lock.run(() => send('welcome', 'welcome', welcomeText(state.checkInTime), expectConfirm()));
  }

  // ---- 2. the member's days: replies first, then whatever is due, in the order it falls due -----------------
  for (;;) {
    await lock.run(handleReplies);
    if (state.status === 'erased') break;
    const next = nextWake(state);
    if (next && next.atMs <= now()) {
      await lock.run(() => handleEvent(next.event, next.atMs));
      continue;
    }
    // ---- 3. continue-as-new, once every handler has finished and no reply is waiting ----------------------
    if (
      workflowInfo().continueAsNewSuggested ||
      promptsThisRun >= (input.maxDaysPerRun ?? MAX_DAYS_PER_RUN)
    ) {
      await condition(allHandlersFinished);
      if (state.pendingReplies.length === 0) await continueAsNew<typeof memberWorkflow>({ ...input, state });
      continue;
    }
    publish();
    const seen = changes;
    await condition(
      () => state.pendingReplies.length > 0 || changes !== seen,
      next ? Math.max(1, next.atMs - now()) : undefined,
    );
  }
  await condition(allHandlersFinished);

  // ---- the events -------------------------------------------------------------------------------------------
  function handleEvent(event: MemberEvent, atMs: number): Promise<void> {
    switch (event) {
      case 'onboarding_reminder':
        return remind();
      case 'prompt':
        return prompt(atMs);
      case 'nudge':
        return nudge();
      case 'day_end':
        return endDay('missed', null);
      case 'weekly_summary':
        return weeklySummary(atMs);
    }
  }

  async function remind(): Promise<void> {
    state.onboarding!.reminded = true;
    await send('welcome_reminder', 'welcome_reminder', WELCOME_REMINDER_TEXT, expectConfirm());
  }

  /** The check-in at the local check-in time, listing the goals due today. */
  async function prompt(atMs: number): Promise<void> {
    const day = localDate(atMs, state.timezone);
    state.lastPromptDate = day;
    // Opted out or paused: no prompt today, and the day neither counts nor breaks the streak.
    if (state.status !== 'active' || isPausedOn(state, day)) return void rearmPrompt();
    const due = dueOn(activeGoals(state), day);
    // Nothing due today (weekday goals, weekly targets met): a rest day that keeps every streak.
    if (due.length === 0) {
      state.days = withOutcome(state.days, day, 'rest');
      return void rearmPrompt();
    }
    // A day left open by a previous prompt (time zone moved east) is closed first.
    if (state.openPrompt) await endDay('missed', null);
    const deadlineMs = startOfNextLocalDay(atMs, state.timezone);
    const ids = due.map((g) => g.id);
    state.openPrompt = {
      localDate: day,
      deadlineMs,
      goalIds: ids,
      pendingGoalIds: [...ids],
      answers: {},
      nudgeAtMs: nudgeAt(atMs, deadlineMs, state.timezone, state.nudgeAfterMinutes),
    };
    promptsThisRun++;
    await send(`checkin:${day}`, 'checkin_prompt', promptText(due), {
      expectReply: { accepts: 'checkin_reply', untilMs: deadlineMs },
    });
    rearmPrompt();
  }

  /** One reminder if a goal is still open (the nudge instant was already kept inside the nudge window). */
  async function nudge(): Promise<void> {
    const open = state.openPrompt!;
    open.nudgeAtMs = null;
    if (state.status !== 'active' || open.pendingGoalIds.length === 0) return;
    await send(`nudge:${open.localDate}`, 'nudge', nudgeText(open.pendingGoalIds.length), {
      window: NUDGE_WINDOW,
    });
  }

  /** The end of the prompted day (goals still open are missed) or a REST: streaks, the day record, risk. */
  async function endDay(closing: 'missed' | 'rest', inboundId: number | null): Promise<void> {
    const day = state.openPrompt!.localDate;
    await saveDay(day, closeDay(state, closing, inboundId));
    await evaluateRisk();
  }

  /** Local Sunday 18:00: adherence and one suggestion (not in a week with nothing due, nor while paused). */
  async function weeklySummary(atMs: number): Promise<void> {
    state.nextSummaryAtMs = nextSummaryAt(state.timezone, now());
    const today = localDate(atMs, state.timezone);
    if (state.status !== 'active' || isPausedOn(state, today)) return;
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
  }

  // ---- replies ------------------------------------------------------------------------------------------
  async function handleReplies(): Promise<void> {
    while (state.pendingReplies.length > 0) await handleReply(state.pendingReplies.shift()!);
  }

  async function handleReply(r: InboundReply): Promise<void> {
    markHandled(state, r.inboundId);
    const d = decideReply(state, r, { nowMs: now(), maxActiveGoals });
    switch (d.kind) {
      case 'confirm':
        state.status = 'active';
        state.onboarding = null;
        rearm(state, now());
        await db.setMemberStatus({ memberId, status: 'active' });
        return send('confirmed', 'confirmed', confirmedText(state.checkInTime));
      case 'confirm_hint':
        return answer(r, 'confirm_hint', CONFIRM_HINT_TEXT);
      case 'goal_help':
        return answer(r, 'goal_help', GOAL_HELP_TEXT);
      case 'goal_rejected':
        return answer(r, 'goal_rejected', goalRejectedText(d.reason));
      case 'add_goal': {
        let goal: GoalView;
        try {
          goal = await addGoal(d.goal);
        } catch (err) {
          const refused = fieldErrorsOf(err);
          if (!refused) throw err;
          return answer(r, 'goal_rejected', goalRejectedText(`${refused[0]!.field}: cannot be stored`));
        }
        return answer(r, 'goal_added', goalAddedText(state.goals.find((g) => g.id === goal.id)!));
      }
      case 'rest':
        if (state.openPrompt) await endDay('rest', r.inboundId);
        else if (!isPausedOn(state, localDate(now(), state.timezone))) {
          state.pausedUntil = localDate(now(), state.timezone); // today's prompt is not sent
          rearmPrompt();
        }
        return answer(r, 'rest_ack', REST_TEXT);
      case 'media_only':
      case 'not_counted':
        log.info('reply kept in the inbox only, not counted', {
          memberId,
          inboundId: r.inboundId,
          why: d.kind === 'not_counted' ? d.why : d.kind,
        });
        return;
      case 'clarify':
        return answer(r, 'clarify', CLARIFY_TEXT);
      case 'unknown_goal':
        return answer(r, 'clarify', unknownGoalText(d.number, d.listed));
      case 'late': {
        const day = state.lastMissed!.localDate;
        await saveDay(day, answerLate(state, d.done, r.inboundId, d));
        await evaluateRisk();
        return answer(r, 'late_ack', lateAckText(d.done, state.currentStreak));
      }
      case 'answers': {
        const open = state.openPrompt!;
        const shareable = d.reflection
          ? (await ai.moderateReflection({ memberId, text: d.reflection })).shareable
          : null;
        if (state.openPrompt !== open) {
          log.info('check-in closed while the reply was moderated', { memberId, inboundId: r.inboundId });
          return;
        }
        const result = answerDay(state, d.byGoal, r.inboundId, { ...d, shareable });
        await saveDay(open.localDate, result.entries);
        if (!result.complete) {
          const numbers = open.pendingGoalIds.map((id) => open.goalIds.indexOf(id) + 1);
          return answer(r, 'partial_ack', partialAckText(numbers));
        }
        await evaluateRisk();
        return acknowledge(open.localDate, d.reflection);
      }
    }
  }

  /** The answer to a completed check-in: AI motivation in the member's tone from the last days. */
  async function acknowledge(day: string, reflection: string | undefined): Promise<void> {
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
  }

  // ---- goals --------------------------------------------------------------------------------------------
  /**
   * A goal with its AI plan, stored. A goal Postgres refuses for good (InvalidInput: characters it cannot
   * store) is dropped again and the refusal thrown (the update fails naming the field; an SMS gets an answer).
   */
  async function addGoal(input: GoalInput): Promise<GoalView> {
    const g: GoalState = newGoal(state.nextGoalId, input, localDate(now(), state.timezone));
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
    return goalView(g);
  }

  async function archive(goalId: number): Promise<GoalView> {
    const goal = archiveGoal(state, goalId);
    await db.storeGoal({ memberId, goal: goalView(goal) });
    return goalView(goal);
  }

  // ---- recording, risk, visibility -----------------------------------------------------------------------
  /**
   * One day's check-ins with the day streak as it now stands. Input the store refuses for good (e.g. a
   * reflection it cannot hold) is logged by ids and skipped: the member's process carries on.
   */
  async function saveDay(day: string, entries: DayEntry[]): Promise<void> {
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
  }

  /** Risk from the day record; a change is stored, published and signalled to subscribers. */
  async function evaluateRisk(): Promise<void> {
    const change = riskChange(memberId, state.days, state.risk, localDate(now(), state.timezone));
    if (!change) return;
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

  function publish(): void {
    setCurrentDetails(currentDetails(state, now()));
    const info = workflowInfo().typedSearchAttributes;
    // Search attributes are kept up to date when the run was started with them (the API does).
    if (info.get(MEMBER_ID_SA) === undefined) return;
    const status = effectiveStatus(state, now());
    if (info.get(MEMBER_STATUS_SA) === status && info.get(RISK_LEVEL_SA) === state.risk) return;
    upsertSearchAttributes([
      { key: MEMBER_STATUS_SA, value: status },
      { key: RISK_LEVEL_SA, value: state.risk },
    ]);
  }

  // ---- sending ------------------------------------------------------------------------------------------
  function rearmPrompt(): void {
    state.nextPromptAtMs = nextPromptAt(state, now());
  }

  /** The welcome and its reminder expect the member's YES for a week. */
  function expectConfirm(): Pick<SendSmsInput, 'expectReply'> {
    return { expectReply: { accepts: 'confirm', untilMs: now() + CONFIRM_EXPECTED_MS } };
  }

  /** A transactional text to the member, keyed `member:<id>:<key>`. */
  async function send(
    key: string,
    kind: string,
    body: string,
    extra: Pick<SendSmsInput, 'window' | 'expectReply'> = {},
  ): Promise<void> {
    await sendMessage({
      idempotencyKey: `member:${memberId}:${key}`,
      to: { memberId },
      kind,
      purpose: 'transactional',
      body,
      ...extra,
    });
  }

  /** The answer to one inbound text, keyed by it. */
  function answer(r: InboundReply, kind: string, body: string): Promise<void> {
    return send(`${kind}:${r.inboundId}`, kind, body);
  }
}
