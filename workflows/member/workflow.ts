/**
 * The member entity workflow (`member-<id>`): lives as long as the member.
 *
 * Onboarding (welcome, "Reply YES to start", one reminder after 24 h), goals with AI plans (by API update or
 * by SMS "GOAL run 3x week"), the daily check-in at the member's local time for the goals due that day, replies
 * by signal ("Y", "1 Y 2 N", "Y ran 3k, tired", mood, "yesterday Y", "REST"), one nudge when there is no reply
 * (never in quiet hours), misses at the end of the local day, day and goal streaks, AI motivation in the
 * member's tone, a weekly summary (local Sunday 18:00), and a risk level that is published when it changes.
 *
 * Versioning: runs started before the journey (histories in test/histories/*-v1.json) replay with
 * `patched('member-journey-v2')` false and keep their exact commands (fixed acknowledgement, no nudges, no
 * weekly summary, no risk publication, `recordCheckIn`); every new run, including a v1 run's continuation after
 * continue-as-new, takes the journey path. No personal data (name, phone) is in the input or the state.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../../activities/index.js';
import type { DayEntry } from '../../activities/members.js';
import {
  applyCheckIn,
  cadenceError,
  DEFAULT_GOAL_ID,
  isDue,
  MAX_TITLE_LENGTH,
  parseGoalCommand,
  type GoalState,
} from './goals.js';
import {
  CLARIFY_TEXT,
  confirmedText,
  GOAL_HELP_TEXT,
  goalAddedText,
  goalRejectedText,
  NUDGE_WINDOW,
  nudgeText,
  PROMPT_TEXT,
  promptText,
  REST_TEXT,
  welcomeText,
  WELCOME_REMINDER_TEXT,
} from './texts.js';
import { classifyInbound, parseCheckInReply } from '../lib/keywords.js';
import { sendMessage } from '../lib/outbound.js';
import { progressOf, type DayOutcome, type RiskLevel } from './risk.js';
import {
  addDays,
  isValidTimeZone,
  localDate,
  nextAllowedInstant,
  nextLocalTime,
  parseHHMM,
  startOfNextLocalDay,
  weekdayOf,
  weekStartOf,
} from '../lib/time.js';
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
  type MemberPreferences,
  type MemberSnapshot,
  type RiskChange,
  type Tone,
} from './definitions.js';
import { MEMBER_ID_SA, MEMBER_STATUS_SA, RISK_LEVEL_SA } from './search-attributes.js';

type Activities = ReturnType<typeof createActivities>;

/** Postgres writes: idempotent upserts, retried until they succeed. */
const db = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
/** AI texts: never fail because of OpenAI (templates), so a few attempts cover worker crashes. */
const ai = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumAttempts: 3 },
});

type Status = MemberSnapshot['status'];

export interface OpenPrompt {
  localDate: string;
  deadlineMs: number;
  /** Goals in the order the prompt listed them (the numbers a reply uses). Absent in v1 states: [0]. */
  goalIds?: number[];
  /** Goals not answered yet. */
  pendingGoalIds?: number[];
  /** Answers so far (goal id → done). */
  answers?: Record<string, boolean>;
  nudgeAtMs?: number | null;
}

export interface MemberState {
  status: Status;
  timezone: string;
  checkInTime: string;
  /** Day streak: days on which every due goal was done. */
  currentStreak: number;
  longestStreak: number;
  lastCheckIn: MemberSnapshot['lastCheckIn'];
  /** The prompt waiting for a reply; it closes at the end of that local day. */
  openPrompt: OpenPrompt | null;
  /** Local date of the last prompt sent, so a preference change never prompts twice for one day. */
  lastPromptDate: string | null;
  /** Recently handled inbound ids: Twilio or our inbox drainer may deliver a reply twice. */
  recentInboundIds: number[];
  /** Replies received but not yet handled, carried across continue-as-new. */
  pendingReplies: InboundReply[];
  /** Paused through this local date (rest days, vacation). */
  pausedUntil?: string | null;
  /** The last day counted as missed and the streaks it broke, for a late "yesterday Y". */
  lastMissed?: {
    localDate: string;
    streakBefore: number;
    goals?: Array<{ id: number; streakBefore: number }>;
  } | null;
  // Journey (v2) fields; absent in states carried from v1 runs.
  tone?: Tone;
  goals?: GoalState[];
  nextGoalId?: number;
  /** Day outcomes of the last 90 local days, for adherence and risk. */
  days?: DayOutcome[];
  risk?: RiskLevel;
  riskSubscribers?: string[];
  onboarding?: { sinceMs: number; reminded: boolean } | null;
  nudgeAfterMinutes?: number;
  nextSummaryAtMs?: number | null;
}

export interface MemberWorkflowInput {
  memberId: string;
  timezone: string;
  checkInTime: string;
  tone?: Tone;
  /** New members: welcome text, nothing else until they reply YES, one reminder after 24 h. */
  onboarding?: boolean;
  /** Active goals at most (default 3). */
  maxActiveGoals?: number;
  /** Minutes after the prompt before one nudge (default 120; 0 = none). */
  nudgeAfterMinutes?: number;
  state?: MemberState;
  /** Continue-as-new after this many prompts (default 60; tests force it every few days). */
  maxDaysPerRun?: number;
}

const RECENT_INBOUND_LIMIT = 50;
/** Continue-as-new after this many prompts even if the server has not suggested it yet. */
const MAX_DAYS_PER_RUN = 60;
const DEFAULT_MAX_ACTIVE_GOALS = 3;
const DEFAULT_NUDGE_AFTER_MINUTES = 120;
const ONBOARDING_REMINDER_MS = 24 * 60 * 60 * 1000;
const DAYS_KEPT = 90;
/** Weekly summary: local Sunday at this time. */
const SUMMARY_WEEKDAY = 0;
const SUMMARY_TIME = { hour: 18, minute: 0 };
const REST_WORDS = /^\s*(?:rest|rest\s*day|day\s*off)[\s.!]*$/iu;

export async function memberWorkflow(input: MemberWorkflowInput): Promise<void> {
  const { memberId } = input;
  /** False only while replaying a run that began before the journey (see the header). */
  const v2 = patched('member-journey-v2');
  const state: MemberState = input.state ?? {
    status: input.onboarding ? 'pending_confirmation' : 'active',
    timezone: input.timezone,
    checkInTime: input.checkInTime,
    currentStreak: 0,
    longestStreak: 0,
    lastCheckIn: null,
    openPrompt: null,
    lastPromptDate: null,
    recentInboundIds: [],
    pendingReplies: [],
    ...(input.onboarding && { onboarding: { sinceMs: Date.now(), reminded: false } }),
  };
  if (v2) {
    state.tone ??= input.tone ?? 'friendly';
    state.goals ??= [];
    state.nextGoalId ??= 1;
    state.days ??= [];
    state.risk ??= 'low';
    state.riskSubscribers ??= [];
    state.nudgeAfterMinutes ??= input.nudgeAfterMinutes ?? DEFAULT_NUDGE_AFTER_MINUTES;
  }
  const goalsOf = () => state.goals ?? [];
  const activeGoals = () => goalsOf().filter((g) => g.status === 'active');
  const maxActiveGoals = input.maxActiveGoals ?? DEFAULT_MAX_ACTIVE_GOALS;
  /** Search attributes are kept up to date when the run was started with them (the API does). */
  const searchable = v2 && workflowInfo().typedSearchAttributes.get(MEMBER_ID_SA) !== undefined;
  let publishedStatus = v2 ? (workflowInfo().typedSearchAttributes.get(MEMBER_STATUS_SA) ?? null) : null;
  let publishedRisk = v2 ? (workflowInfo().typedSearchAttributes.get(RISK_LEVEL_SA) ?? null) : null;

  let prefsVersion = 0;
  let promptsThisRun = 0;
  let nextPromptAtMs = computeNextPrompt(Date.now());
  if (v2 && state.nextSummaryAtMs === undefined) state.nextSummaryAtMs = nextSummaryAfter(Date.now());

  // ---- handlers first -------------------------------------------------------------------------------------
  setHandler(replySignal, (reply) => {
    if (state.recentInboundIds.includes(reply.inboundId)) return;
    if (state.pendingReplies.some((r) => r.inboundId === reply.inboundId)) return;
    state.pendingReplies.push(reply);
  });
  function applyPreferences(prefs: MemberPreferences) {
    if (prefs.timezone && isValidTimeZone(prefs.timezone)) state.timezone = prefs.timezone;
    if (prefs.checkInTime && parseHHMM(prefs.checkInTime)) state.checkInTime = prefs.checkInTime;
    if (v2 && prefs.tone) state.tone = prefs.tone;
    if (v2 && prefs.nudgeAfterMinutes !== undefined) state.nudgeAfterMinutes = prefs.nudgeAfterMinutes;
    if (prefs.pausedUntil !== undefined) {
      state.pausedUntil = prefs.pausedUntil;
      // A pause that covers today closes today's open prompt without counting it as missed.
      if (prefs.pausedUntil && state.openPrompt && state.openPrompt.localDate <= prefs.pausedUntil)
        state.openPrompt = null;
    }
    prefsVersion++;
    // Re-arm at once, so the answer (and the query) show the new next prompt.
    nextPromptAtMs = computeNextPrompt(Date.now());
    if (v2) state.nextSummaryAtMs = nextSummaryAfter(Date.now());
  }
  setHandler(preferencesSignal, applyPreferences);
  setHandler(
    updatePreferencesUpdate,
    (prefs) => {
      applyPreferences(prefs);
      return snapshot();
    },
    {
      validator: (prefs) => {
        if (state.status === 'erased') throw new Error('member erased');
        if (prefs.timezone !== undefined && !isValidTimeZone(prefs.timezone))
          throw new Error(`timezone: not an IANA zone: ${prefs.timezone}`);
        if (prefs.checkInTime !== undefined && !parseHHMM(prefs.checkInTime))
          throw new Error('checkInTime: must be "HH:MM"');
        if (prefs.pausedUntil && !/^\d{4}-\d{2}-\d{2}$/.test(prefs.pausedUntil))
          throw new Error('pausedUntil: must be YYYY-MM-DD');
        if (
          prefs.pausedUntil &&
          prefs.pausedUntil < localDate(Date.now(), prefs.timezone ?? state.timezone)
        ) {
          throw new Error('pausedUntil: must not be in the past');
        }
        if (
          prefs.nudgeAfterMinutes !== undefined &&
          !(Number.isInteger(prefs.nudgeAfterMinutes) && prefs.nudgeAfterMinutes >= 0)
        )
          throw new Error('nudgeAfterMinutes: must be a whole number of minutes, 0 for none');
        if (prefs.tone !== undefined && !['friendly', 'tough_love', 'calm'].includes(prefs.tone))
          throw new Error('tone: must be friendly, tough_love or calm');
      },
    },
  );
  setHandler(
    addGoalUpdate,
    async (goal) => {
      const added = await addGoal(goal);
      prefsVersion++; // a goal added before today's prompt is in it
      return added;
    },
    { validator: (goal) => validateGoal(goal) },
  );
  setHandler(
    archiveGoalUpdate,
    async ({ goalId }) => {
      const goal = goalsOf().find((g) => g.id === goalId)!;
      goal.status = 'archived';
      if (state.openPrompt?.pendingGoalIds)
        state.openPrompt.pendingGoalIds = state.openPrompt.pendingGoalIds.filter((id) => id !== goalId);
      await db.storeGoal({ memberId, goal: goalView(goal) });
      prefsVersion++;
      return goalView(goal);
    },
    {
      validator: ({ goalId }) => {
        if (state.status === 'erased') throw new Error('member erased');
        const goal = goalsOf().find((g) => g.id === goalId);
        if (!goal) throw new Error(`goalId: no goal ${goalId}`);
        if (goal.status === 'archived') throw new Error(`goalId: goal ${goalId} is already archived`);
      },
    },
  );
  setHandler(eraseSignal, () => {
    state.status = 'erased';
    prefsVersion++;
  });
  setHandler(consentSignal, ({ optedOut }) => {
    if (state.status === 'erased') return;
    state.status = optedOut ? 'opted_out' : 'active';
    if (!optedOut) state.onboarding = null; // START is an explicit opt-in
    // Opting out keeps streaks and history, but an open day is not counted against the member.
    if (optedOut) state.openPrompt = null;
    nextPromptAtMs = computeNextPrompt(Date.now());
    if (v2) state.nextSummaryAtMs = nextSummaryAfter(Date.now());
    prefsVersion++;
  });
  setHandler(subscribeRiskSignal, ({ workflowId }) => {
    const subs = state.riskSubscribers ?? [];
    if (!subs.includes(workflowId)) state.riskSubscribers = [...subs, workflowId];
  });
  setHandler(unsubscribeRiskSignal, ({ workflowId }) => {
    state.riskSubscribers = (state.riskSubscribers ?? []).filter((id) => id !== workflowId);
  });
  const isPausedOn = (day: string) => Boolean(state.pausedUntil && day <= state.pausedUntil);
  const effectiveStatus = (): Status =>
    state.status === 'active' && isPausedOn(localDate(Date.now(), state.timezone)) ? 'paused' : state.status;
  const snapshot = (): MemberSnapshot => ({
    memberId,
    status: effectiveStatus(),
    timezone: state.timezone,
    checkInTime: state.checkInTime,
    tone: state.tone ?? input.tone ?? 'friendly',
    nudgeAfterMinutes: state.nudgeAfterMinutes ?? 0,
    currentStreak: state.currentStreak,
    longestStreak: state.longestStreak,
    lastCheckIn: state.lastCheckIn,
    openPrompt: state.openPrompt
      ? {
          localDate: state.openPrompt.localDate,
          goalIds: state.openPrompt.pendingGoalIds ?? [DEFAULT_GOAL_ID],
          nudgeAt:
            state.openPrompt.nudgeAtMs != null ? new Date(state.openPrompt.nudgeAtMs).toISOString() : null,
        }
      : null,
    nextPromptAt: state.status === 'active' ? new Date(nextPromptAtMs).toISOString() : null,
    nextWeeklySummaryAt:
      state.status === 'active' && state.nextSummaryAtMs != null
        ? new Date(state.nextSummaryAtMs).toISOString()
        : null,
    pausedUntil: state.pausedUntil ?? null,
    risk: state.risk ?? 'low',
    goals: goalsOf().map(goalView),
  });
  setHandler(memberStateQuery, snapshot);

  // ---- time ----------------------------------------------------------------------------------------------
  function computeNextPrompt(fromMs: number): number {
    const hhmm = parseHHMM(state.checkInTime) ?? { hour: 19, minute: 0 };
    let next = nextLocalTime(fromMs, hhmm, state.timezone);
    // While paused, the next prompt is the first one after the pause.
    while (state.pausedUntil && localDate(next, state.timezone) <= state.pausedUntil) {
      next = nextLocalTime(startOfNextLocalDay(next, state.timezone), hhmm, state.timezone);
    }
    // Never a second prompt for a local day that already had one (e.g. check-in time moved later today).
    while (state.lastPromptDate !== null && localDate(next, state.timezone) <= state.lastPromptDate) {
      next = nextLocalTime(startOfNextLocalDay(next, state.timezone), hhmm, state.timezone);
    }
    return next;
  }
  function nextSummaryAfter(fromMs: number): number {
    let t = nextLocalTime(fromMs, SUMMARY_TIME, state.timezone);
    while (weekdayOf(localDate(t, state.timezone)) !== SUMMARY_WEEKDAY)
      t = nextLocalTime(t, SUMMARY_TIME, state.timezone);
    return t;
  }
  /** The nudge instant for a prompt, inside the nudge window and before the day ends; null = no nudge. */
  function nudgeInstant(promptAtMs: number, deadlineMs: number): number | null {
    const after = state.nudgeAfterMinutes ?? 0;
    if (after <= 0) return null;
    const at = nextAllowedInstant(promptAtMs + after * 60_000, state.timezone, NUDGE_WINDOW);
    return at < deadlineMs ? at : null;
  }

  // ---- goals ---------------------------------------------------------------------------------------------
  function goalView(g: GoalState): GoalView {
    return {
      id: g.id,
      title: g.title,
      cadence: g.cadence,
      status: g.status,
      createdOn: g.createdOn,
      currentStreak: g.currentStreak,
      longestStreak: g.longestStreak,
      plan: g.plan,
      planSource: g.planSource,
    };
  }
  /** Throws `<field>: <reason>` (the API maps the field). */
  function validateGoal(goal: GoalInput): void {
    if (!v2) throw new Error('goals: this member workflow predates goals; try again after its next renewal');
    if (state.status === 'erased') throw new Error('member erased');
    const title = typeof goal?.title === 'string' ? goal.title.trim() : '';
    if (!title) throw new Error('title: is required');
    if (title.length > MAX_TITLE_LENGTH) throw new Error(`title: at most ${MAX_TITLE_LENGTH} characters`);
    const cadenceProblem = goal.cadence ? cadenceError(goal.cadence) : 'is required';
    if (cadenceProblem) throw new Error(`cadence: ${cadenceProblem}`);
    if (activeGoals().length >= maxActiveGoals)
      throw new Error(`goals: at most ${maxActiveGoals} active goals; archive one first`);
  }
  async function addGoal(goal: GoalInput): Promise<GoalView> {
    const today = localDate(Date.now(), state.timezone);
    const g: GoalState = {
      id: state.nextGoalId ?? 1,
      title: goal.title.trim(),
      cadence: goal.cadence,
      status: 'active',
      createdOn: today,
      currentStreak: 0,
      longestStreak: 0,
      plan: null,
      planSource: null,
      week: { start: weekStartOf(today), done: 0 },
    };
    state.nextGoalId = g.id + 1;
    state.goals = [...goalsOf(), g];
    const { plan, prompt } = await ai.generatePlan({
      memberId,
      goal: { title: g.title, cadence: g.cadence },
      tone: state.tone ?? 'friendly',
    });
    g.plan = plan;
    g.planSource = prompt;
    await db.storeGoal({ memberId, goal: goalView(g) });
    return goalView(g);
  }

  // ---- sending and storing ------------------------------------------------------------------------------
  /** A transactional text to the member, keyed `member:<id>:<key>`. */
  async function text(key: string, kind: string, body: string, window?: typeof NUDGE_WINDOW): Promise<void> {
    await sendMessage({
      idempotencyKey: `member:${memberId}:${key}`,
      to: { memberId },
      kind,
      purpose: 'transactional',
      body,
      ...(window && { window }),
    });
  }
  /** The answer to one inbound text, keyed by it. */
  const reply = (inboundId: number, kind: string, body: string) => text(`${kind}:${inboundId}`, kind, body);
  /** One day's check-ins (v2) with the day streak as it now stands. */
  const saveDay = (localDate: string, entries: DayEntry[]) =>
    db.recordDay({
      memberId,
      localDate,
      entries,
      currentStreak: state.currentStreak,
      longestStreak: state.longestStreak,
    });
  /** v1 runs: one implicit goal, one activity per check-in. */
  const saveV1 = (
    localDate: string,
    status: 'done' | 'not_done' | 'missed',
    extra: { reflection?: string; mood?: number; inboundId?: number } = {},
  ) =>
    db.recordCheckIn({
      memberId,
      goalId: 0,
      localDate,
      status,
      reflection: extra.reflection ?? null,
      mood: extra.mood ?? null,
      inboundMessageId: extra.inboundId ?? null,
      currentStreak: state.currentStreak,
      longestStreak: state.longestStreak,
    });

  // ---- recording -----------------------------------------------------------------------------------------
  function recordOutcome(day: string, status: DayOutcome['status']) {
    const days = (state.days ?? []).filter((d) => d.localDate !== day);
    days.push({ localDate: day, status });
    days.sort((a, b) => (a.localDate < b.localDate ? -1 : 1));
    const oldest = addDays(day, -(DAYS_KEPT - 1));
    state.days = days.filter((d) => d.localDate >= oldest);
  }

  /** Risk from the last 90 days; a change is upserted, stored and signalled to subscribers. */
  async function evaluateRisk(): Promise<void> {
    if (!v2) return;
    const today = localDate(Date.now(), state.timezone);
    const p = progressOf(state.days ?? [], today);
    const from = state.risk ?? 'low';
    if (p.risk === from) return;
    state.risk = p.risk;
    const change: RiskChange = {
      memberId,
      from,
      to: p.risk,
      localDate: today,
      adherence7: p.adherence.d7,
      consecutiveMisses: p.consecutiveMisses,
    };
    log.info('risk level changed', { memberId, from, to: p.risk });
    await db.recordRiskChange(change);
    for (const workflowId of state.riskSubscribers ?? []) {
      try {
        await getExternalWorkflowHandle(workflowId).signal(riskChangedSignal, change);
      } catch {
        log.warn('risk subscriber is gone; unsubscribed', { workflowId });
        state.riskSubscribers = (state.riskSubscribers ?? []).filter((id) => id !== workflowId);
      }
    }
  }

  function syncVisibility(): void {
    if (!v2) return;
    const status = effectiveStatus();
    const risk = state.risk ?? 'low';
    setCurrentDetails(
      [
        `status: ${status}`,
        `risk: ${risk}`,
        `streak: ${state.currentStreak} (best ${state.longestStreak})`,
        `goals: ${activeGoals().length}`,
        `check-in ${state.checkInTime} ${state.timezone}`,
        status === 'active' ? `next prompt: ${new Date(nextPromptAtMs).toISOString()}` : '',
      ]
        .filter(Boolean)
        .join(' · '),
    );
    if (!searchable || (status === publishedStatus && risk === publishedRisk)) return;
    upsertSearchAttributes([
      { key: MEMBER_STATUS_SA, value: status },
      { key: RISK_LEVEL_SA, value: risk },
    ]);
    publishedStatus = status;
    publishedRisk = risk;
  }

  async function ack(day: string, done: boolean, reflection: string | undefined): Promise<void> {
    let body: string;
    if (v2) {
      const recent = (state.days ?? []).slice(-7).map((d) => ({
        localDate: d.localDate,
        status: d.status,
        reflection: d.localDate === day ? (reflection ?? null) : null,
      }));
      body = (
        await ai.writeMotivation({
          memberId,
          tone: state.tone ?? 'friendly',
          streak: state.currentStreak,
          recent,
        })
      ).text;
    } else {
      body = done
        ? `Nice work! Streak: ${state.currentStreak} day${state.currentStreak === 1 ? '' : 's'}. See you tomorrow.`
        : 'Thanks for being honest. Tomorrow is a fresh start.';
    }
    await text(`ack:${day}`, 'checkin_ack', body);
  }

  /** Closes the open prompt: answers given, the rest missed (or rest); streaks, outcome, risk. */
  async function closeDay(prompt: OpenPrompt, closing: 'missed' | 'rest', reply?: InboundReply) {
    state.openPrompt = null;
    const day = prompt.localDate;
    if (!v2) {
      // v1: one implicit goal; only a silent day is closed here.
      state.lastMissed = { localDate: day, streakBefore: state.currentStreak };
      state.currentStreak = 0;
      state.lastCheckIn = { localDate: day, status: 'missed' };
      await saveV1(day, 'missed');
      return;
    }
    const answers = prompt.answers ?? {};
    const pending = prompt.pendingGoalIds ?? [];
    const entries: DayEntry[] = pending.map((goalId) => ({
      goalId,
      status: closing,
      reflection: null,
      mood: null,
      shareable: null,
      inboundMessageId: reply?.inboundId ?? null,
    }));
    const missedGoals: Array<{ id: number; streakBefore: number }> = [];
    if (closing === 'missed') {
      for (const id of pending) {
        const goal = goalsOf().find((g) => g.id === id);
        missedGoals.push({ id, streakBefore: goal?.currentStreak ?? state.currentStreak });
        if (goal) applyCheckIn(goal, day, false);
      }
    }
    const answered = Object.values(answers);
    let status: DayOutcome['status'];
    if (closing === 'rest' && answered.length === 0) status = 'rest';
    else if (answered.length === 0) status = 'missed';
    else
      status = answered.every(Boolean) && (closing === 'rest' || pending.length === 0) ? 'done' : 'not_done';
    if (status === 'missed')
      state.lastMissed = { localDate: day, streakBefore: state.currentStreak, goals: missedGoals };
    if (status === 'done') state.currentStreak++;
    else if (status !== 'rest') state.currentStreak = 0;
    state.longestStreak = Math.max(state.longestStreak, state.currentStreak);
    state.lastCheckIn = { localDate: day, status };
    recordOutcome(day, status);
    await saveDay(day, entries);
    await evaluateRisk();
  }

  // ---- replies -------------------------------------------------------------------------------------------
  async function handleReply(r: InboundReply): Promise<void> {
    state.recentInboundIds = [...state.recentInboundIds, r.inboundId].slice(-RECENT_INBOUND_LIMIT);
    if (v2 && state.status === 'pending_confirmation') {
      const k = classifyInbound(r.body);
      const single = parseCheckInReply(r.body);
      const yes =
        (k.kind === 'opt_in' && k.keyword !== 'UNSTOP') ||
        (single.ok &&
          single.answers.length === 1 &&
          single.answers[0]!.goal === null &&
          single.answers[0]!.done);
      if (!yes) {
        await reply(
          r.inboundId,
          'confirm_hint',
          'Reply YES to start your Crewline check-ins, or STOP to opt out.',
        );
        return;
      }
      state.status = 'active';
      state.onboarding = null;
      nextPromptAtMs = computeNextPrompt(Date.now());
      state.nextSummaryAtMs = nextSummaryAfter(Date.now());
      await db.setMemberStatus({ memberId, status: 'active' });
      await text('confirmed', 'confirmed', confirmedText(state.checkInTime));
      return;
    }
    if (v2 && /^\s*goal(?![\p{L}\p{N}])/iu.test(r.body)) {
      const cmd = parseGoalCommand(r.body);
      if (!cmd) return reply(r.inboundId, 'goal_help', GOAL_HELP_TEXT);
      try {
        validateGoal(cmd);
      } catch (err) {
        return reply(r.inboundId, 'goal_rejected', goalRejectedText((err as Error).message));
      }
      const added = await addGoal(cmd);
      prefsVersion++;
      const goal = goalsOf().find((g) => g.id === added.id)!;
      return reply(r.inboundId, 'goal_added', goalAddedText(goal));
    }
    if (v2 && REST_WORDS.test(r.body)) {
      const today = localDate(Date.now(), state.timezone);
      if (state.openPrompt) await closeDay(state.openPrompt, 'rest', r);
      else if (!isPausedOn(today)) {
        state.pausedUntil = today; // today's prompt is not sent
        nextPromptAtMs = computeNextPrompt(Date.now());
      }
      return reply(r.inboundId, 'rest_ack', REST_TEXT);
    }

    const parsed = parseCheckInReply(r.body);
    if (!parsed.ok || parsed.answers.length === 0) {
      await reply(r.inboundId, 'clarify', CLARIFY_TEXT);
      return;
    }
    const allDone = parsed.answers.every((a) => a.done);
    if (parsed.forYesterday && patched('late-reply-v1')) {
      await lateReply(r, allDone, parsed.reflection, parsed.mood);
      return;
    }
    const prompt = state.openPrompt;
    if (!prompt) {
      log.info('reply with no open check-in; kept in inbound messages only', { inboundId: r.inboundId });
      return;
    }
    if (!v2) {
      state.openPrompt = null;
      state.currentStreak = allDone ? state.currentStreak + 1 : 0;
      state.longestStreak = Math.max(state.longestStreak, state.currentStreak);
      state.lastCheckIn = { localDate: prompt.localDate, status: allDone ? 'done' : 'not_done' };
      await saveV1(prompt.localDate, allDone ? 'done' : 'not_done', {
        reflection: parsed.reflection,
        mood: parsed.mood,
        inboundId: r.inboundId,
      });
      await ack(prompt.localDate, allDone, parsed.reflection);
      return;
    }

    // Map the answers to goals: a single answer covers every goal still open; numbers follow the prompt.
    const listed = prompt.goalIds ?? [DEFAULT_GOAL_ID];
    const pending = prompt.pendingGoalIds ?? listed;
    const byGoal = new Map<number, boolean>();
    for (const a of parsed.answers) {
      if (a.goal === null) for (const id of pending) byGoal.set(id, a.done);
      else {
        const id = listed[a.goal - 1];
        if (id === undefined) {
          await reply(
            r.inboundId,
            'clarify',
            `Goal ${a.goal}? Today's check-in has ${listed.length} goal${listed.length === 1 ? '' : 's'}: reply e.g. "1 Y${listed.length > 1 ? ' 2 N' : ''}".`,
          );
          return;
        }
        if (pending.includes(id)) byGoal.set(id, a.done);
      }
    }
    if (byGoal.size === 0) return; // answers for goals already answered today
    const day = prompt.localDate;
    const shareable = parsed.reflection
      ? (await ai.moderateReflection({ memberId, text: parsed.reflection })).shareable
      : null;
    const entries: DayEntry[] = [];
    prompt.answers = { ...(prompt.answers ?? {}) };
    for (const [goalId, done] of byGoal) {
      prompt.answers[String(goalId)] = done;
      const goal = goalsOf().find((g) => g.id === goalId);
      if (goal) applyCheckIn(goal, day, done);
      entries.push({
        goalId,
        status: done ? 'done' : 'not_done',
        reflection: parsed.reflection ?? null,
        mood: parsed.mood ?? null,
        shareable,
        inboundMessageId: r.inboundId,
      });
    }
    prompt.pendingGoalIds = pending.filter((id) => !byGoal.has(id));
    if (prompt.pendingGoalIds.length > 0) {
      await saveDay(day, entries);
      const open = prompt.pendingGoalIds.map((id) => listed.indexOf(id) + 1).join(', ');
      await reply(
        r.inboundId,
        'partial_ack',
        `Noted. Still open today: goal ${open}. Reply e.g. "${open.split(',')[0]} Y".`,
      );
      return;
    }
    // Every goal of the day is answered.
    state.openPrompt = null;
    const dayDone = Object.values(prompt.answers).every(Boolean);
    state.currentStreak = dayDone ? state.currentStreak + 1 : 0;
    state.longestStreak = Math.max(state.longestStreak, state.currentStreak);
    state.lastCheckIn = { localDate: day, status: dayDone ? 'done' : 'not_done' };
    recordOutcome(day, dayDone ? 'done' : 'not_done');
    await saveDay(day, entries);
    await evaluateRisk();
    await ack(day, dayDone, parsed.reflection);
  }

  /** "yesterday Y" within the grace window: only for yesterday (local), only if yesterday was missed. */
  async function lateReply(r: InboundReply, done: boolean, reflection?: string, mood?: number) {
    const yesterday = addDays(localDate(Date.now(), state.timezone), -1);
    const missed = state.lastMissed;
    if (!missed || missed.localDate !== yesterday) {
      log.info('late reply outside the grace window', { inboundId: r.inboundId });
      return;
    }
    state.lastMissed = null;
    // The days answered since then stay; yesterday joins them to the streak it had broken.
    const after = state.currentStreak;
    state.currentStreak = done ? missed.streakBefore + 1 + after : after;
    state.longestStreak = Math.max(state.longestStreak, state.currentStreak);
    if (!v2) {
      await saveV1(yesterday, done ? 'done' : 'not_done', { reflection, mood, inboundId: r.inboundId });
      return;
    }
    const missedGoals = missed.goals ?? [{ id: DEFAULT_GOAL_ID, streakBefore: 0 }];
    for (const m of missedGoals) {
      const goal = goalsOf().find((g) => g.id === m.id);
      if (!goal || !done) continue;
      const since = goal.currentStreak;
      applyCheckIn(goal, yesterday, true);
      goal.currentStreak = m.streakBefore + 1 + since;
      goal.longestStreak = Math.max(goal.longestStreak, goal.currentStreak);
    }
    recordOutcome(yesterday, done ? 'done' : 'not_done');
    await saveDay(
      yesterday,
      missedGoals.map((m) => ({
        goalId: m.id,
        status: done ? 'done' : 'not_done',
        reflection: reflection ?? null,
        mood: mood ?? null,
        shareable: null,
        inboundMessageId: r.inboundId,
      })),
    );
    await evaluateRisk();
    await reply(
      r.inboundId,
      'late_ack',
      done ? `Got it, yesterday counts. Streak: ${state.currentStreak}.` : 'Got it, noted for yesterday.',
    );
  }

  async function sendWeeklySummary(atMs: number): Promise<void> {
    const today = localDate(atMs, state.timezone);
    const weekStart = addDays(today, -6);
    const week = (state.days ?? []).filter((d) => d.localDate >= weekStart && d.localDate <= today);
    const due = week.filter((d) => d.status !== 'rest').length;
    if (due === 0) return; // nothing to sum up (paused all week, or just joined)
    const done = week.filter((d) => d.status === 'done').length;
    const summary = await ai.writeWeeklySummary({
      memberId,
      tone: state.tone ?? 'friendly',
      weekStart,
      adherence7: done / due,
      done,
      due,
      currentStreak: state.currentStreak,
      longestStreak: state.longestStreak,
    });
    await text(`weekly:${weekStart}`, 'weekly_summary', summary.text);
  }

  // ---- the loop ------------------------------------------------------------------------------------------
  if (v2 && state.onboarding && !input.state) {
    await text('welcome', 'welcome', welcomeText(state.checkInTime));
  }

  for (;;) {
    while (state.pendingReplies.length > 0) {
      await handleReply(state.pendingReplies.shift()!);
    }
    const now = Date.now();
    if (state.openPrompt && now >= state.openPrompt.deadlineMs) {
      await closeDay(state.openPrompt, 'missed');
      continue;
    }
    if (state.status === 'erased') {
      await condition(allHandlersFinished);
      return;
    }
    if (v2 && state.status === 'pending_confirmation') {
      const ob = state.onboarding;
      if (ob && !ob.reminded && now >= ob.sinceMs + ONBOARDING_REMINDER_MS) {
        ob.reminded = true;
        await text('welcome_reminder', 'welcome_reminder', WELCOME_REMINDER_TEXT);
        continue;
      }
    } else {
      const open = state.openPrompt;
      if (v2 && open?.nudgeAtMs != null && now >= open.nudgeAtMs) {
        open.nudgeAtMs = null;
        if (state.status === 'active' && (open.pendingGoalIds ?? []).length > 0) {
          await text(
            `nudge:${open.localDate}`,
            'nudge',
            nudgeText((open.pendingGoalIds ?? []).length),
            NUDGE_WINDOW,
          );
        }
        continue;
      }
      if (v2 && state.nextSummaryAtMs != null && now >= state.nextSummaryAtMs) {
        const at = state.nextSummaryAtMs;
        state.nextSummaryAtMs = nextSummaryAfter(now);
        if (state.status === 'active' && !isPausedOn(localDate(at, state.timezone)))
          await sendWeeklySummary(at);
        continue;
      }
      if (
        now >= nextPromptAtMs &&
        (state.status !== 'active' || isPausedOn(localDate(nextPromptAtMs, state.timezone)))
      ) {
        // Opted out or paused: no prompt today, and the day neither counts nor breaks the streak.
        state.lastPromptDate = localDate(nextPromptAtMs, state.timezone);
        nextPromptAtMs = computeNextPrompt(Date.now());
        continue;
      }
      if (now >= nextPromptAtMs) {
        const day = localDate(nextPromptAtMs, state.timezone);
        state.lastPromptDate = day;
        const deadlineMs = startOfNextLocalDay(nextPromptAtMs, state.timezone);
        const goals = activeGoals();
        const due = v2
          ? goals.length === 0
            ? [{ id: DEFAULT_GOAL_ID, title: '' }]
            : goals.filter((g) => isDue(g, day))
          : [{ id: DEFAULT_GOAL_ID, title: '' }];
        if (due.length === 0) {
          // Nothing due today (weekday goals, weekly targets met): a rest day that keeps every streak.
          recordOutcome(day, 'rest');
          nextPromptAtMs = computeNextPrompt(Date.now());
          continue;
        }
        // A day left open by a previous prompt (time zone moved east) is closed first.
        if (v2 && state.openPrompt) await closeDay(state.openPrompt, 'missed');
        state.openPrompt = v2
          ? {
              localDate: day,
              deadlineMs,
              goalIds: due.map((g) => g.id),
              pendingGoalIds: due.map((g) => g.id),
              answers: {},
              nudgeAtMs: nudgeInstant(nextPromptAtMs, deadlineMs),
            }
          : { localDate: day, deadlineMs };
        promptsThisRun++;
        await text(`checkin:${day}`, 'checkin_prompt', v2 ? promptText(due) : PROMPT_TEXT);
        nextPromptAtMs = computeNextPrompt(Date.now());
        continue;
      }
    }
    if (
      workflowInfo().continueAsNewSuggested ||
      promptsThisRun >= (input.maxDaysPerRun ?? MAX_DAYS_PER_RUN)
    ) {
      await condition(allHandlersFinished);
      if (state.pendingReplies.length === 0) {
        await continueAsNew<typeof memberWorkflow>({ ...input, state });
      }
      continue;
    }
    // Every change (a reply, a timer, an update) ends here before the wait: publish it for operators.
    syncVisibility();
    const version = prefsVersion;
    const wakeAt = Math.min(
      state.status === 'pending_confirmation' ? Infinity : nextPromptAtMs,
      state.openPrompt?.deadlineMs ?? Infinity,
      state.openPrompt?.nudgeAtMs ?? Infinity,
      state.status === 'active' ? (state.nextSummaryAtMs ?? Infinity) : Infinity,
      state.status === 'pending_confirmation' && state.onboarding && !state.onboarding.reminded
        ? state.onboarding.sinceMs + ONBOARDING_REMINDER_MS
        : Infinity,
    );
    const changed = await condition(
      () => state.pendingReplies.length > 0 || prefsVersion !== version,
      wakeAt === Infinity ? undefined : Math.max(1, wakeAt - Date.now()),
    );
    if (changed && prefsVersion !== version && (state.status as Status) !== 'erased')
      nextPromptAtMs = computeNextPrompt(Date.now());
  }
}
