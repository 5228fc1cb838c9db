/**
 * The member entity workflow (`member-<id>`): lives as long as the member.
 * Sends the daily check-in prompt at the member's local time, takes replies by signal, keeps the streak,
 * and counts a day without a reply as missed at the end of the member's local day.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import { parseCheckInReply } from './lib/keywords.js';
import { sendMessage } from './lib/outbound.js';
import {
  addDays,
  isValidTimeZone,
  localDate,
  nextLocalTime,
  parseHHMM,
  startOfNextLocalDay,
} from './lib/time.js';
import {
  consentSignal,
  eraseSignal,
  memberStateQuery,
  updatePreferencesUpdate,
  preferencesSignal,
  replySignal,
  type InboundReply,
  type MemberPreferences,
  type MemberSnapshot,
} from './messages.js';

type Activities = ReturnType<typeof createActivities>;

/** Postgres writes: idempotent upserts, retried until they succeed. */
const db = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface MemberState {
  status: MemberSnapshot['status'];
  timezone: string;
  checkInTime: string;
  currentStreak: number;
  longestStreak: number;
  lastCheckIn: MemberSnapshot['lastCheckIn'];
  /** The prompt waiting for a reply; it closes at the end of that local day. */
  openPrompt: { localDate: string; deadlineMs: number } | null;
  /** Local date of the last prompt sent, so a preference change never prompts twice for one day. */
  lastPromptDate: string | null;
  /** Recently handled inbound ids: Twilio or our inbox drainer may deliver a reply twice. */
  recentInboundIds: number[];
  /** Replies received but not yet handled, carried across continue-as-new. */
  pendingReplies: InboundReply[];
  /** Paused through this local date (rest days, vacation). Absent in states from before pausing existed. */
  pausedUntil?: string | null;
  /** The last day counted as missed and the streak it broke, for a late "yesterday Y". */
  lastMissed?: { localDate: string; streakBefore: number } | null;
}

export interface MemberWorkflowInput {
  memberId: string;
  timezone: string;
  checkInTime: string;
  state?: MemberState;
  /** Continue-as-new after this many prompts (default 60; tests force it every few days). */
  maxDaysPerRun?: number;
}

const RECENT_INBOUND_LIMIT = 50;
/** Continue-as-new after this many prompts even if the server has not suggested it yet. */
const MAX_DAYS_PER_RUN = 60;

export const PROMPT_TEXT =
  'Crewline check-in: did you keep your habit today? Reply Y or N, and add a note if you like (e.g. "N tired").';

export async function memberWorkflow(input: MemberWorkflowInput): Promise<void> {
  const { memberId } = input;
  const state: MemberState = input.state ?? {
    status: 'active',
    timezone: input.timezone,
    checkInTime: input.checkInTime,
    currentStreak: 0,
    longestStreak: 0,
    lastCheckIn: null,
    openPrompt: null,
    lastPromptDate: null,
    recentInboundIds: [],
    pendingReplies: [],
  };
  let prefsVersion = 0;
  let promptsThisRun = 0;
  let nextPromptAtMs = computeNextPrompt(Date.now());

  setHandler(replySignal, (reply) => {
    if (state.recentInboundIds.includes(reply.inboundId)) return;
    if (state.pendingReplies.some((r) => r.inboundId === reply.inboundId)) return;
    state.pendingReplies.push(reply);
  });
  function applyPreferences(prefs: MemberPreferences) {
    if (prefs.timezone && isValidTimeZone(prefs.timezone)) state.timezone = prefs.timezone;
    if (prefs.checkInTime && parseHHMM(prefs.checkInTime)) state.checkInTime = prefs.checkInTime;
    if (prefs.pausedUntil !== undefined) {
      state.pausedUntil = prefs.pausedUntil;
      // A pause that covers today closes today's open prompt without counting it as missed.
      if (prefs.pausedUntil && state.openPrompt && state.openPrompt.localDate <= prefs.pausedUntil)
        state.openPrompt = null;
    }
    prefsVersion++;
    // Re-arm at once, so the answer (and the query) show the new next prompt.
    nextPromptAtMs = computeNextPrompt(Date.now());
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
    // Opting out keeps streaks and history, but an open day is not counted against the member.
    if (optedOut) state.openPrompt = null;
    prefsVersion++;
  });
  const isPausedOn = (day: string) => Boolean(state.pausedUntil && day <= state.pausedUntil);
  const snapshot = (): MemberSnapshot => ({
    memberId,
    status:
      state.status === 'active' && isPausedOn(localDate(Date.now(), state.timezone))
        ? 'paused'
        : state.status,
    timezone: state.timezone,
    checkInTime: state.checkInTime,
    currentStreak: state.currentStreak,
    longestStreak: state.longestStreak,
    lastCheckIn: state.lastCheckIn,
    openPrompt: state.openPrompt ? { localDate: state.openPrompt.localDate } : null,
    nextPromptAt: state.status === 'active' ? new Date(nextPromptAtMs).toISOString() : null,
    pausedUntil: state.pausedUntil ?? null,
  });
  setHandler(memberStateQuery, snapshot);

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

  async function settleDay(
    day: string,
    status: 'done' | 'not_done' | 'missed',
    reply?: InboundReply,
    note?: string,
    mood?: number,
  ) {
    // A missed day can still be answered late ("yesterday Y"): remember the streak it broke.
    if (status === 'missed') state.lastMissed = { localDate: day, streakBefore: state.currentStreak };
    state.currentStreak = status === 'done' ? state.currentStreak + 1 : 0;
    state.longestStreak = Math.max(state.longestStreak, state.currentStreak);
    state.lastCheckIn = { localDate: day, status };
    await db.recordCheckIn({
      memberId,
      goalId: 0,
      localDate: day,
      status,
      reflection: note ?? null,
      mood: mood ?? null,
      inboundMessageId: reply?.inboundId ?? null,
      currentStreak: state.currentStreak,
      longestStreak: state.longestStreak,
    });
  }

  async function handleReply(reply: InboundReply): Promise<void> {
    state.recentInboundIds = [...state.recentInboundIds, reply.inboundId].slice(-RECENT_INBOUND_LIMIT);
    const parsed = parseCheckInReply(reply.body);
    const prompt = state.openPrompt;
    if (!parsed.ok || parsed.answers.length === 0) {
      await sendMessage({
        idempotencyKey: `member:${memberId}:clarify:${reply.inboundId}`,
        to: { memberId },
        kind: 'clarify',
        purpose: 'transactional',
        body: 'Sorry, I did not get that. Reply Y if you kept your habit today or N if not (a note is welcome: "N tired").',
      });
      return;
    }
    const done = parsed.answers.every((a) => a.done);
    if (parsed.forYesterday && patched('late-reply-v1')) {
      // Late reply within the grace window: only for yesterday (local), only if yesterday was missed.
      const yesterday = addDays(localDate(Date.now(), state.timezone), -1);
      const missed = state.lastMissed;
      if (!missed || missed.localDate !== yesterday) {
        log.info('late reply outside the grace window', { inboundId: reply.inboundId });
        return;
      }
      state.lastMissed = null;
      // The days answered since then stay; yesterday joins them to the streak it had broken.
      const after = state.currentStreak;
      state.currentStreak = done ? missed.streakBefore + 1 + after : after;
      state.longestStreak = Math.max(state.longestStreak, state.currentStreak);
      await db.recordCheckIn({
        memberId,
        goalId: 0,
        localDate: yesterday,
        status: done ? 'done' : 'not_done',
        reflection: parsed.reflection ?? null,
        mood: parsed.mood ?? null,
        inboundMessageId: reply.inboundId,
        currentStreak: state.currentStreak,
        longestStreak: state.longestStreak,
      });
      return;
    }
    if (!prompt) {
      log.info('reply with no open check-in; kept in inbound messages only', { inboundId: reply.inboundId });
      return;
    }
    state.openPrompt = null;
    await settleDay(prompt.localDate, done ? 'done' : 'not_done', reply, parsed.reflection, parsed.mood);
    await sendMessage({
      idempotencyKey: `member:${memberId}:ack:${prompt.localDate}`,
      to: { memberId },
      kind: 'checkin_ack',
      purpose: 'transactional',
      body: done
        ? `Nice work! Streak: ${state.currentStreak} day${state.currentStreak === 1 ? '' : 's'}. See you tomorrow.`
        : 'Thanks for being honest. Tomorrow is a fresh start.',
    });
  }

  for (;;) {
    while (state.pendingReplies.length > 0) {
      await handleReply(state.pendingReplies.shift()!);
    }
    const now = Date.now();
    if (state.openPrompt && now >= state.openPrompt.deadlineMs) {
      const day = state.openPrompt.localDate;
      state.openPrompt = null;
      await settleDay(day, 'missed');
      continue;
    }
    if (state.status === 'erased') {
      await condition(allHandlersFinished);
      return;
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
      state.openPrompt = { localDate: day, deadlineMs: startOfNextLocalDay(nextPromptAtMs, state.timezone) };
      promptsThisRun++;
      await sendMessage({
        idempotencyKey: `member:${memberId}:checkin:${day}`,
        to: { memberId },
        kind: 'checkin_prompt',
        purpose: 'transactional',
        body: PROMPT_TEXT,
      });
      nextPromptAtMs = computeNextPrompt(Date.now());
      continue;
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
    const version = prefsVersion;
    const wakeAt = Math.min(nextPromptAtMs, state.openPrompt?.deadlineMs ?? Infinity);
    const changed = await condition(
      () => state.pendingReplies.length > 0 || prefsVersion !== version,
      Math.max(1, wakeAt - Date.now()),
    );
    if (changed && prefsVersion !== version && (state.status as MemberSnapshot['status']) !== 'erased')
      nextPromptAtMs = computeNextPrompt(Date.now());
  }
}
