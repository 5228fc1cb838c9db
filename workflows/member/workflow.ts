/**
 * The member entity workflow (`member-<id>`): lives as long as the member. Read it from the top: the handlers
 * (one line each, into the pure modules of this folder), then the member's process in the order it happens —
 * onboarding, the days (prompt, nudge, end of day, weekly summary, texts the gate held, and the replies in
 * between), continue-as-new.
 *
 * Rules live in pure modules: `schedule.ts` (when: next prompt, nudge, summary, THE next wake), `days.ts` (day
 * outcomes and THE streak rule), `goals.ts`, `replies.ts` (what a text means), `risk.ts`, `changes.ts` (signals,
 * updates, validators), `state.ts`, and `texts.ts` (every SMS text); every activity call is in `effects.ts`.
 * No personal data in the input or state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { fieldErrorsOf } from '../lib/failures.js';
import { Lock } from '../lib/lock.js';
import { WakeTimer } from '../lib/wake-timer.js';
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
import {
  applyCrewQuestions,
  CREW_ASK_WINDOW,
  CREW_ONLY_ACCEPTS,
  crewAskUntil,
  crewsDueOn,
  crewTitles,
  markCrewsAsked,
  nextCrewOnlyAsk,
  splitCrewReply,
  type CrewAnswerOut,
} from './crews.js';
import { answerDay, answerLate, closeDay, withOutcome } from './days.js';
import {
  addGoalUpdate,
  archiveGoalUpdate,
  consentSignal,
  crewQuestionsSignal,
  eraseSignal,
  memberStateQuery,
  preferencesSignal,
  replySignal,
  subscribeRiskSignal,
  unsubscribeRiskSignal,
  updatePreferencesUpdate,
  type GoalInput,
  type InboundReply,
} from './definitions.js';
import { memberEffects } from './effects.js';
import { dueOn, type GoalState } from './goals.js';
import { nextHeldAt } from './held.js';
import { decideReply } from './replies.js';
import {
  nextPromptAt,
  nextSummaryAt,
  nextWake,
  nudgeAt,
  NUDGE_WINDOW,
  type MemberEvent,
} from './schedule.js';
import {
  activeGoals,
  goalView,
  initialState,
  isPausedOn,
  markedState,
  snapshot,
  type MemberWorkflowInput,
} from './state.js';
import {
  CLARIFY_TEXT,
  confirmHintText,
  crewAckText,
  crewOnlyText,
  confirmedText,
  GOAL_HELP_TEXT,
  goalAddedText,
  goalRejectedText,
  lateAckText,
  nudgeText,
  partialAckText,
  promptWithCrewsText,
  REST_TEXT,
  unknownGoalText,
  welcomeText,
  welcomeReminderText,
} from './texts.js';
import { MEMBER_DEFAULTS } from './values.js';
import { replyTraces } from '../lib/trace-context.js';

/** The earlier of two wakes (the first when both fall at the same instant). */
function soonest<A extends { atMs: number }, B extends { atMs: number }>(
  a: A | null,
  b: B | null,
): A | B | null {
  return a && b ? (b.atMs < a.atMs ? b : a) : (a ?? b);
}

export type { MemberState, MemberWorkflowInput, OpenPrompt } from './state.js';

/** Runs with this marker carry the crews' daily questions on the member's own texts (crews.ts). */
export const CREW_PROMPT_PATCH = 'crew-prompt-rides-checkin';
/** Keeps the wake-up timer while the due time is unchanged (before: two timer events per signal). */
export const KEEP_TIMER_PATCH = 'member-keep-wake-timer';

/** Continue-as-new after this many prompts even if the server has not suggested it yet. */
const MAX_DAYS_PER_RUN = 60;

export async function memberWorkflow(input: MemberWorkflowInput): Promise<void> {
  const { memberId } = input;
  const maxActiveGoals = input.maxActiveGoals ?? MEMBER_DEFAULTS.maxActiveGoals;
  const confirmWord = input.confirmWord ?? 'YES';
  const state = initialState(input, Date.now());
  /** Texts, records, AI, risk publication, visibility (effects.ts). */
  const fx = memberEffects(memberId, state);
  /** Steps of the process and handlers that await activities take turns. */
  const lock = new Lock();
  /** Bumped by every handler: the wait for the next event wakes on it. */
  let changes = 0;
  let promptsThisRun = 0;
  const changed = <T>(v: T): T => (changes++, v);
  /** For signals: the change is made, the main loop is woken. */
  const touch = (_change: unknown): void => void changes++;
  /** Each queued reply is handled in the trace of the signal that brought it (workflows/lib/trace-context.ts). */
  const traces = replyTraces();
  const now = () => Date.now();
  /** The wait for the next due event (workflows/lib/wake-timer.ts); `keepTimer` is decided once per run. */
  const timer = new WakeTimer();
  let keepTimer: boolean | undefined;

  // ---- handlers -------------------------------------------------------------------------------------------
  setHandler(memberStateQuery, () => snapshot(memberId, state, now()));
  setHandler(replySignal, (reply) => touch(queueReply(state, traces.keep(reply))));
  setHandler(consentSignal, (change) => touch(applyConsent(state, change, now())));
  setHandler(preferencesSignal, (prefs) => touch(applyPreferences(state, prefs, now())));
  setHandler(eraseSignal, () => touch(erase(state)));
  setHandler(crewQuestionsSignal, (q) => touch(patched(CREW_PROMPT_PATCH) && applyCrewQuestions(state, q)));
  setHandler(subscribeRiskSignal, (sub) => void subscribeRisk(state, sub));
  setHandler(unsubscribeRiskSignal, (sub) => void unsubscribeRisk(state, sub));
  setHandler(
    updatePreferencesUpdate,
    (prefs) => changed(snapshot(memberId, applyPreferences(state, prefs, now()), now())),
    { validator: (prefs) => validatePreferences(state, prefs, now()) },
  );
  setHandler(addGoalUpdate, (goal) => lock.run(async () => changed(goalView(await addGoal(goal)))), {
    validator: (goal) => validateGoal(state, goal, maxActiveGoals),
  });
  setHandler(
    archiveGoalUpdate,
    ({ goalId }) => lock.run(async () => changed(await fx.storeGoal(archiveGoal(state, goalId)))),
    {
      validator: ({ goalId }) => validateArchive(state, goalId),
    },
  );

  // ---- 1. onboarding: the welcome; nothing else is sent until YES (one reminder after 24 h) ------------------
  if (state.onboarding && !input.state) {
    await lock.run(() =>
      fx.send('welcome', 'welcome', welcomeText(state.checkInTime, confirmWord), fx.expectConfirm()),
    );
  }

  // ---- 2. the member's days: replies first, then whatever is due, in the order it falls due -----------------
  for (;;) {
    await lock.run(handleReplies);
    if (state.status === 'erased') break;
    const next = soonest(soonest(nextWake(state), crewWake()), heldWake());
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
      if (state.pendingReplies.length === 0)
        await continueAsNew<typeof memberWorkflow>({ ...input, state: markedState(input.memberId, state) });
      continue;
    }
    fx.publish();
    const seen = changes;
    const woken = () => state.pendingReplies.length > 0 || changes !== seen;
    // The wake-up timer is kept while the next due time stays the same (not re-armed on every text).
    keepTimer ??= patched(KEEP_TIMER_PATCH);
    if (keepTimer) await timer.wait(woken, next?.atMs, now());
    else await condition(woken, next ? Math.max(1, next.atMs - now()) : undefined);
  }
  await condition(allHandlersFinished);

  // ---- the events -------------------------------------------------------------------------------------------
  function handleEvent(event: MemberEvent | 'crew_ask' | 'held', atMs: number): Promise<void> {
    switch (event) {
      case 'held':
        return fx.sendHeld(now());
      case 'crew_ask':
        return askCrews(atMs);
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
    await fx.send(
      'welcome_reminder',
      'welcome_reminder',
      welcomeReminderText(confirmWord),
      fx.expectConfirm(),
    );
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
    // The crews due today ride on the check-in (one text a day); none when they were asked already today.
    const crews = state.crew && state.crew.askedDate !== day ? crewsDueOn(state, day) : [];
    if (state.crew && state.crew.askedDate !== day) markCrewsAsked(state, day, crews);
    await fx.send(`checkin:${day}`, 'checkin_prompt', promptWithCrewsText(due, crewTitles(state, crews)), {
      expectReply: { accepts: 'checkin_reply', untilMs: deadlineMs },
    });
    rearmPrompt();
  }

  /** The crews' question on a day without a check-in to ride on: one text for all the member's crews due. */
  async function askCrews(atMs: number): Promise<void> {
    const day = localDate(atMs, state.timezone);
    const crews = crewsDueOn(state, day);
    markCrewsAsked(state, day, crews);
    await fx.send(`crew-ask:${day}`, 'crew_ask', crewOnlyText(crewTitles(state, crews)), {
      expectReply: { accepts: CREW_ONLY_ACCEPTS, untilMs: crewAskUntil(state, atMs) },
      window: CREW_ASK_WINDOW,
    });
  }

  /** The first text the gate held, when it may go (held.ts); none in runs that predate held texts. */
  function heldWake(): { event: 'held'; atMs: number } | null {
    const atMs = nextHeldAt(state);
    return atMs === null ? null : { event: 'held', atMs };
  }

  /** The next crew-only question as a wake (none for members in no crew: their runs are as before). */
  function crewWake(): { event: 'crew_ask'; atMs: number } | null {
    const ask = nextCrewOnlyAsk(state, now());
    return ask && { event: 'crew_ask', atMs: ask.atMs };
  }

  /** One reminder if a goal is still open (the nudge instant was already kept inside the nudge window). */
  async function nudge(): Promise<void> {
    const open = state.openPrompt!;
    open.nudgeAtMs = null;
    if (state.status !== 'active' || open.pendingGoalIds.length === 0) return;
    await fx.send(`nudge:${open.localDate}`, 'nudge', nudgeText(open.pendingGoalIds.length), {
      window: NUDGE_WINDOW,
    });
  }

  /** The end of the prompted day (goals still open are missed) or a REST: streaks, the day record, risk. */
  async function endDay(closing: 'missed' | 'rest', inboundId: number | null): Promise<void> {
    const day = state.openPrompt!.localDate;
    await fx.recordDay(day, closeDay(state, closing, inboundId));
    await fx.evaluateRisk();
  }

  /** Local Sunday 18:00: adherence and one suggestion (not in a week with nothing due, nor while paused). */
  async function weeklySummary(atMs: number): Promise<void> {
    state.nextSummaryAtMs = nextSummaryAt(state.timezone, now());
    const today = localDate(atMs, state.timezone);
    if (state.status !== 'active' || isPausedOn(state, today)) return;
    await fx.weeklySummary(today);
  }

  /** An API goal, checked again under the lock (a goal by SMS may have taken the last free place meanwhile). */
  function addGoal(goal: GoalInput): Promise<GoalState> {
    validateGoal(state, goal, maxActiveGoals);
    return fx.addGoal(goal);
  }

  // ---- replies ------------------------------------------------------------------------------------------
  async function handleReplies(): Promise<void> {
    while (state.pendingReplies.length > 0) {
      const reply = state.pendingReplies.shift()!;
      await traces.within(reply, () => handleReply(reply));
    }
  }

  async function handleReply(inbound: InboundReply): Promise<void> {
    markHandled(state, inbound.inboundId);
    // The crews' part of the reply goes to each crew first; the rest is the member's own check-in reply.
    const split =
      state.crew?.recentAsks.length && state.status === 'active'
        ? splitCrewReply(state, inbound.body, now())
        : null;
    const crewAnswers = split?.answers ?? [];
    if (crewAnswers.length > 0) await fx.tellCrews(inbound, crewAnswers);
    const r = crewAnswers.length > 0 ? { ...inbound, body: split!.rest } : inbound;
    if (crewAnswers.length > 0 && r.body === '') return ackCrews(r, crewAnswers);
    const d = decideReply(state, r, { nowMs: now(), maxActiveGoals, confirmWord: input.confirmWord });
    if (crewAnswers.length > 0 && ['not_counted', 'clarify', 'unknown_goal'].includes(d.kind))
      return ackCrews(r, crewAnswers);
    switch (d.kind) {
      case 'confirm':
        state.status = 'active';
        state.onboarding = null;
        rearm(state, now());
        await fx.confirmed(r.inboundId);
        return fx.send('confirmed', 'confirmed', confirmedText(state.checkInTime));
      case 'confirm_hint':
        return fx.answer(r, 'confirm_hint', confirmHintText(confirmWord));
      case 'goal_help':
        return fx.answer(r, 'goal_help', GOAL_HELP_TEXT);
      case 'goal_rejected':
        return fx.answer(r, 'goal_rejected', goalRejectedText(d.reason));
      case 'add_goal': {
        let goal: GoalState;
        try {
          goal = await fx.addGoal(d.goal);
        } catch (err) {
          const refused = fieldErrorsOf(err);
          if (!refused) throw err;
          return fx.answer(r, 'goal_rejected', goalRejectedText(`${refused[0]!.field}: cannot be stored`));
        }
        return fx.answer(r, 'goal_added', goalAddedText(goal));
      }
      case 'rest':
        if (state.openPrompt) await endDay('rest', r.inboundId);
        else if (!isPausedOn(state, localDate(now(), state.timezone))) {
          state.pausedUntil = localDate(now(), state.timezone); // today's prompt is not sent
          rearmPrompt();
        }
        return fx.answer(r, 'rest_ack', REST_TEXT);
      case 'media_only':
      case 'not_counted':
        log.info('reply kept in the inbox only, not counted', {
          memberId,
          inboundId: r.inboundId,
          why: d.kind === 'not_counted' ? d.why : d.kind,
        });
        return;
      case 'clarify':
        return fx.answer(r, 'clarify', CLARIFY_TEXT);
      case 'unknown_goal':
        return fx.answer(r, 'clarify', unknownGoalText(d.number, d.listed));
      case 'late': {
        const day = state.lastMissed!.localDate;
        await fx.recordDay(day, answerLate(state, d.done, r.inboundId, d));
        await fx.evaluateRisk();
        return fx.answer(r, 'late_ack', lateAckText(d.done, state.currentStreak));
      }
      case 'answers': {
        const open = state.openPrompt!;
        const shareable = await fx.shareable(d.reflection);
        if (state.openPrompt !== open) {
          log.info('check-in closed while the reply was moderated', { memberId, inboundId: r.inboundId });
          return;
        }
        const result = answerDay(state, d.byGoal, r.inboundId, { ...d, shareable });
        await fx.recordDay(open.localDate, result.entries);
        if (!result.complete) {
          const numbers = open.pendingGoalIds.map((id) => open.goalIds.indexOf(id) + 1);
          return fx.answer(r, 'partial_ack', partialAckText(numbers));
        }
        await fx.evaluateRisk();
        return fx.acknowledge(open.localDate, d.reflection);
      }
    }
  }

  function ackCrews(r: InboundReply, answers: readonly CrewAnswerOut[]): Promise<void> {
    const titles = crewTitles(
      state,
      answers.map((a) => a.challengeId),
    );
    return fx.answer(
      r,
      'crew_ack',
      crewAckText(answers.map((a, i) => ({ title: titles[i]!, done: a.done }))),
    );
  }

  function rearmPrompt(): void {
    state.nextPromptAtMs = nextPromptAt(state, now());
  }
}
