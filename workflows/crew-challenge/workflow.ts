/**
 * The crew challenge workflow (`crew-challenge-<id>`): a time-boxed challenge of one crew that closes itself.
 * Read it from the top: the handlers (one line each, into the pure modules of this folder), then the process in
 * the order it happens — the start gate (extend once, then cancel), one crew pulse per challenge day decided when
 * the last member's local day plus the 24 h grace is over, and the end summary. Rules: `rules.ts` (days, grace,
 * close instant, validator, totals), `pulse.ts` (k-anonymity and complementary suppression); texts: `texts.ts`.
 * No personal data in the input or state: member ids and zones only.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { InboundReply } from '../lib/conversation.js';
import { fieldErrorsOf } from '../lib/failures.js';
import { sendMessage } from '../lib/outbound.js';
import { addDays, localDate } from '../lib/time.js';
import { parseCrewAnswer } from './answers.js';
import {
  answerUpdate,
  cancelChallengeSignal,
  challengeStateQuery,
  memberDataQuery,
  consentSignal,
  contributeUpdate,
  crewAnswerSignal,
  DEFAULT_EXTEND_DAYS,
  joinChallengeSignal,
  LATE_GRACE_MS,
  leaderboardAliasUpdate,
  leaderboardQuery,
  leaveChallengeSignal,
  memberErasedSignal,
  holdsMemberQuery,
  raiseKUpdate,
  replySignal,
  type ChallengeView,
  type CrewChallengeInput,
  type PulseAnswerInput,
} from './definitions.js';
import { applyContribution, fromHundredths } from './goal.js';
import { addToTotals, leaderboard } from './leaderboard.js';
import { factsOf, recordDue } from './milestones.js';
import { decideRelease, cellKey } from './pulse.js';
import {
  answersOfDay,
  endsAt,
  pulseCloseAt,
  startGateAt,
  summaryTotals,
  validateAlias,
  validateAnswer,
  validateContribution,
  validateRaiseK,
} from './rules.js';
import { CHALLENGE_MEMBER_IDS_SA, CHALLENGE_STATUS_SA, CREW_ID_SA } from './search-attributes.js';
import type { createReflectionActivities } from '../../activities/crews/reflections.js';
import type { createAiActivities } from '../../activities/ai/index.js';
import type { SendSmsInput } from '../../activities/messaging.js';
import { AI, DB_WRITE } from '../lib/activity-options.js';
import {
  answerDate,
  ASK_WINDOW,
  asksItself,
  CREW_PULSE_ACCEPTS,
  DEFAULT_PROMPT_TIME,
  enrolmentChanges,
  markAsked,
  nextAsks,
  queueReply,
  queueRiddenAnswer,
  riddenState,
  takeReply,
  unreached,
  takeRiddenAnswer,
  type Ask,
} from './sms.js';
import { crewQuestionsSignal } from '../member/definitions.js';
import { memberWorkflowId } from '../ids.js';
import {
  currentMembers,
  initialState,
  memberData,
  view,
  withExtensions,
  type ChallengeState,
} from './state.js';
import {
  addedText,
  answerAckText,
  answerClarifyText,
  answerRefusedText,
  askText,
  cancelledText,
  extendedText,
  milestoneText,
  pulseText,
  summaryText,
  summaryWithNarrativeText,
  weeklyText,
} from './texts.js';
import { crewTone } from './tone.js';
import { nextWeekly } from './weekly.js';
import { shouldContinueAsNew } from './continue-as-new.js';
import { eraseFromChallenge, holdsMember, inputWithout } from './erasure.js';
import { mayCarry, pulseBodies, reflectionSmsState } from './reflections-sms.js';
import { markedFor, subjectIf, type Subject } from '../lib/subject.js';
import { sendEach } from './batch.js';
import { carriedState, openedState } from './carried.js';

/** Runs with this marker ask the daily question by SMS and read the replies (older histories replay without). */
export const CREW_SMS_PATCH = 'crew-sms-answers';
/**
 * Runs with this marker do not text their question themselves: it rides on each member's own check-in prompt
 * (or their one crew text of the day), and the member workflow signals back the answers (sms.ts, member/crews.ts).
 */
export const CREW_PROMPT_PATCH = 'crew-prompt-rides-checkin';
/** Runs with this marker store counted answers' reflections (redacted, moderated, with consent). */
export const CREW_REFLECTIONS_PATCH = 'crew-reflections';
/** Runs with this marker send the weekly challenge text and word the end summary in the crew's tone (AI layer). */
export const CREW_WEEKLY_AI_PATCH = 'crew-weekly-ai';
/** Runs with this marker carry one shared reflection in the day's pulse text (reflections-sms.ts). */
export const CREW_REFLECTIONS_SMS_PATCH = 'crew-reflections-sms';
/**
 * Runs with this marker spend fewer history events per member-day (issue 9's benchmark): the texts to several
 * members (the day's question, pulse, summary, milestones, weekly text) go in one `sendSmsBatch` activity
 * (batch.ts) instead of one `sendSms` each; the member workflows are told in parallel, not one after another;
 * and the main loop keeps its wake-up timer while an answer or signal wakes it for the same instant, instead of
 * cancelling and starting one per answer.
 */
export const CREW_BATCHED_PATCH = 'crew-day-batched';

const reflections = proxyActivities<ReturnType<typeof createReflectionActivities>>(DB_WRITE);
const ai = proxyActivities<ReturnType<typeof createAiActivities>>(AI);

export type { ChallengeState } from './state.js';

/** One member's text, and whose words it quotes besides theirs (sealed under those keys too). */
interface Told {
  body: string;
  quoting: Array<Subject | null>;
}

export async function crewChallengeWorkflow(
  input: CrewChallengeInput & { state?: ChallengeState },
): Promise<ChallengeView> {
  const { challengeId } = input;
  const now = () => Date.now();
  // A carried-over state arrives with one sealed record per member (carried.ts), or plain from older runs.
  const state = withExtensions(input, input.state ? openedState(input.state) : initialState(input, now()));
  /** The state as the next run's input carries it: everything about one member sealed with their key. */
  const carried = (): ChallengeState => carriedState(state);
  let changes = 0;
  /** The main loop's wake-up timer (runs with `crew-day-batched`): kept while its instant stays the same. */
  let wakeTimer: { atMs: number; scope: CancellationScope; fired: boolean } | null = null;
  /** Members erased in this run (memberErased): the main loop continues as new without them. */
  const erasedIds: string[] = [];
  const touch = (): void => void changes++;
  const snapshot = () => view(input, state, endsAt(state, input));
  const open = () => state.status === 'gathering' || state.status === 'active';
  /** The daily question and its answers by SMS (sms.ts, answers.ts). */
  const bySms = patched(CREW_SMS_PATCH);
  /** The question rides on the member's own texts; answers come back as `crewAnswer` signals. */
  const rides = patched(CREW_PROMPT_PATCH);
  /**
   * The weekly challenge text and the summary's narrative, in the crew's tone: for challenges whose input names
   * the crew's tone (every one the API starts); a run started before crews had one keeps its old texts.
   */
  const weeklyAi = input.tone !== undefined && patched(CREW_WEEKLY_AI_PATCH);
  const tone = crewTone(input.tone);
  /** Texts to several members in one activity, member workflows told in parallel, the wake timer kept. */
  const batched = patched(CREW_BATCHED_PATCH);

  // ---- handlers -------------------------------------------------------------------------------------------
  setHandler(challengeStateQuery, snapshot);
  setHandler(memberDataQuery, (memberId) => memberData(state, memberId));
  setHandler(holdsMemberQuery, (memberId) => erasedIds.includes(memberId) || holdsMember(state, memberId));
  setHandler(joinChallengeSignal, (m) => {
    if (!open()) return;
    const before = state.members[m.memberId];
    state.members[m.memberId] = {
      ...m,
      joinedAtMs: now(),
      leftAtMs: null,
      optedOut: before?.optedOut ?? false,
    };
    touch();
    publish(); // the member ids search attribute lists them from now on
  });
  setHandler(leaveChallengeSignal, ({ memberId }) => {
    const m = state.members[memberId];
    if (!m || m.leftAtMs !== null) return;
    m.leftAtMs = now();
    delete state.aliases[memberId]; // their leaderboard row goes; nobody else's numbers change
    touch();
  });
  setHandler(
    memberErasedSignal,
    ({ memberId }) => void (eraseFromChallenge(state, memberId) && erased(memberId)),
  );
  setHandler(cancelChallengeSignal, ({ reason }) => {
    if (!open() || state.cancelRequested) return;
    state.cancelRequested = reason;
    touch();
  });
  setHandler(replySignal, (r) => {
    if (!bySms)
      return log.info('reply not expected by a crew challenge', { challengeId, inboundId: r.inboundId });
    if (queueReply(state, r)) touch();
  });
  setHandler(crewAnswerSignal, (a) => {
    if (!rides) return log.info('crew answer not expected by this run', { challengeId });
    if (queueRiddenAnswer(state, a)) touch();
  });
  // The send gate drops texts to opted-out numbers; nothing to change here.
  setHandler(consentSignal, () => undefined);
  setHandler(answerUpdate, answerByApi, {
    validator: (a) => void validateAnswer(state, input, a, now()),
  });
  setHandler(
    contributeUpdate,
    (c) => {
      const hundredths = validateContribution(state, input, c);
      const res = applyContribution(state.goal!, input.goal!, { ...c, hundredths }, now());
      if (res.counted) addToTotals(state.totals, state.goal!.contributions.at(-1)!);
      // A counted text is answered (by the main loop); an API call has its answer already.
      if (res.counted && c.key.startsWith('sms:'))
        state.addReplies.push({
          key: c.key,
          memberId: c.memberId,
          body: addedText(fromHundredths(hundredths), input.goal!.unit, res.total, res.target),
        });
      if (res.reachedNow) recordMilestones();
      touch();
      const { reachedNow: _, ...result } = res;
      // Stored in the history as the update's answer (the crew total just after theirs): sealed with their key.
      return markedFor('member', c.memberId, result);
    },
    { validator: (c) => void validateContribution(state, input, c) },
  );
  setHandler(
    leaderboardAliasUpdate,
    ({ memberId, alias }) => {
      const a = validateAlias(state, memberId, alias);
      if (a === null) delete state.aliases[memberId];
      else state.aliases[memberId] = a;
      touch();
      // Stored in the history as the update's answer: sealed with the member's key.
      return markedFor('member', memberId, { alias: a });
    },
    { validator: ({ memberId, alias }) => void validateAlias(state, memberId, alias) },
  );
  setHandler(leaderboardQuery, () =>
    leaderboard(state.aliases, state.totals, state.goal?.contributions ?? [], (id) => {
      const m = state.members[id];
      return !!m && m.leftAtMs === null;
    }),
  );
  setHandler(
    raiseKUpdate,
    ({ k }) => {
      state.k = validateRaiseK(state, k);
      touch();
      return { k: state.k };
    },
    { validator: ({ k }) => void validateRaiseK(state, k) },
  );

  publish();

  // ---- 1. the start gate: enough consented members at the start, else extend once, else cancel ----------------
  while (state.status === 'gathering') {
    if (state.cancelRequested) return cancel(state.cancelRequested);
    if (erasedIds.length > 0) return continueWithoutErased();
    const at = startGateAt(state, input.timezone);
    if (now() < at) {
      const seen = changes;
      await condition(() => changes !== seen, at - now());
      continue;
    }
    const joined = currentMembers(state).length;
    if (joined >= input.minSize) {
      state.status = 'active';
      break;
    }
    if (state.extended) return cancel(`only ${joined} of the ${input.minSize} members needed joined`);
    state.extended = true;
    state.startDate = addDays(state.startDate, input.extendDays ?? DEFAULT_EXTEND_DAYS);
    await tellAll('extended', extendedText(input.title, joined, input.minSize, state.startDate));
    publish();
  }
  publish();

  // ---- 2. the days: each day's pulse once no answer for it can come any more ---------------------------------
  while (state.nextPulseDay < input.days) {
    if (state.cancelRequested) return cancel(state.cancelRequested);
    if (erasedIds.length > 0) return continueWithoutErased();
    await sendOwedTexts();
    if (rides && ((await tellMembers(false)) || (await handleRiddenAnswers()))) continue;
    const asks = bySms ? nextAsks(state, input, now(), (id) => asksItself(state, id, rides)) : [];
    if (bySms && (await handleReplies())) continue;
    if (asks.length > 0 && asks[0]!.atMs <= now()) {
      await ask(asks.filter((a) => a.atMs <= now()));
      continue;
    }
    const weekly = weeklyAi
      ? nextWeekly(state.startDate, input.days, input.timezone, state.weeklySent ?? 0)
      : null;
    if (weekly && weekly.atMs <= now()) {
      // A Monday missed by more than a day (the worker was down) is skipped, not sent late.
      if (now() - weekly.atMs > LATE_GRACE_MS) state.weeklySent = weekly.week;
      else await sendWeekly(weekly.week, weekly.weeks);
      continue;
    }
    const at = pulseCloseAt(state, state.nextPulseDay);
    const wake = Math.min(at, asks[0]?.atMs ?? at, weekly?.atMs ?? at);
    if (now() < wake) {
      await changeOrWake(wake);
      continue;
    }
    await decidePulse(state.nextPulseDay);
    state.nextPulseDay++;
    recordMilestones();
    await sendOwedTexts();
    publish();
    if (shouldContinueAsNew(workflowInfo().continueAsNewSuggested, input, state.nextPulseDay)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof crewChallengeWorkflow>({ ...input, state: carried() });
    }
  }

  // ---- 3. the end: closed by itself, the summary from the state ---------------------------------------------
  await sendOwedTexts();
  if (rides) await tellMembers(true);
  const totals = summaryTotals(state, input.days, state.k);
  if (totals.release) state.ledger.push(totals.release);
  state.summary = summaryText(input.title, input.days, totals);
  if (weeklyAi) state.narrative = await narrate(totals);
  state.status = 'completed';
  publish();
  await tellAll('summary', summaryWithNarrativeText(state.summary, state.narrative ?? ''));
  await condition(allHandlersFinished);
  return snapshot();

  // ---- steps ------------------------------------------------------------------------------------------------
  /** A member was erased from the state: wake the main loop, which continues as new without them. */
  function erased(memberId: string): void {
    erasedIds.push(memberId);
    touch();
    publish(); // the member ids search attribute no longer lists them
  }

  /** Hand the state, without the erased members, to a new run: this run's history ends here. */
  async function continueWithoutErased(): Promise<never> {
    await condition(allHandlersFinished);
    const next = erasedIds.reduce(inputWithout, input as CrewChallengeInput);
    return continueAsNew<typeof crewChallengeWorkflow>({ ...next, state: carried() });
  }

  /** An answer (API or SMS), validated; the latest for a day counts. Returns the 0-based day. */
  function recordAnswer(a: PulseAnswerInput): number {
    const day = validateAnswer(state, input, a, now());
    state.answers[cellKey({ memberId: a.memberId, day })] = { done: a.done, energy: a.energy ?? null };
    touch();
    return day;
  }

  /** An answer by API: counted (the validator refused bad ones), then its reflection stored. */
  async function answerByApi(a: PulseAnswerInput): Promise<{ day: number; counted: boolean }> {
    const day = recordAnswer(a);
    await shareReflection(a.memberId, day, a.reflection);
    // Stored in the history as the update's answer (which day they answered): sealed with their key.
    return markedFor('member', a.memberId, { day: day + 1, counted: true });
  }

  /** A counted answer's reflection, stored redacted and moderated when its author consented (the activity checks). */
  async function shareReflection(
    memberId: string,
    day: number,
    text: string | null | undefined,
  ): Promise<void> {
    if (!text || !patched(CREW_REFLECTIONS_PATCH)) return;
    // The reflection is the member's personal data: sealed with their key in the history.
    const res = await reflections.storeCrewReflection(
      markedFor('member', memberId, { challengeId, memberId, day: day + 1, text }),
    );
    if (res.stored) reflectionSmsState(state).stored++;
  }

  /** The day's question to each member due (one text each), expecting the reply until that day's grace ends. */
  async function ask(due: Ask[]): Promise<void> {
    for (const a of due) markAsked(state, a.memberId, a.day);
    const texts = due.map((a) =>
      textTo(a.memberId, `ask:${a.day + 1}`, 'crew_ask', askText(input.title, a.day + 1, input.days), {
        expectReply: { accepts: CREW_PULSE_ACCEPTS, untilMs: a.untilMs },
        window: ASK_WINDOW,
      }),
    );
    if (batched) await sendEach(texts);
    else await Promise.all(texts.map((t) => sendMessage(t)));
  }

  /** Replies queued by the signal, oldest first; true when any was handled. */
  async function handleReplies(): Promise<boolean> {
    let handled = false;
    for (let r = takeReply(state); r; r = takeReply(state)) {
      handled = true;
      await handleReply(r);
    }
    return handled;
  }

  /** A reply to the daily question: counted and acknowledged, refused with the reason, or one clarification a day. */
  async function handleReply(r: InboundReply): Promise<void> {
    const m = r.memberId ? state.members[r.memberId] : undefined;
    if (!m || m.leftAtMs !== null) {
      log.info('reply from no current member of the challenge', { challengeId, inboundId: r.inboundId });
      return;
    }
    const parsed = parseCrewAnswer(r.body);
    if (!parsed.ok) {
      // Once per member and local day, however many unreadable texts: the key makes a second one a no-op.
      const today = localDate(r.receivedAtMs, m.timezone);
      return tellOne(m.memberId, `clarify:${today}`, 'crew_clarify', answerClarifyText(input.title));
    }
    const answer: PulseAnswerInput = {
      memberId: m.memberId,
      localDate: answerDate(state, m.memberId, m.timezone, parsed.forYesterday, now()),
      done: parsed.done,
      energy: parsed.energy,
      reflection: parsed.reflection,
    };
    let day: number;
    try {
      day = recordAnswer(answer);
    } catch (err) {
      const refused = fieldErrorsOf(err);
      if (!refused) throw err;
      log.info('SMS answer not counted', { challengeId, inboundId: r.inboundId, field: refused[0]!.field });
      return tellOne(
        m.memberId,
        `refused:${r.inboundId}`,
        'crew_refused',
        answerRefusedText(input.title, refused[0]!.message, refused[0]!.field),
      );
    }
    await tellOne(m.memberId, `ack:${r.inboundId}`, 'crew_ack', answerAckText(input.title, day + 1, parsed));
    await shareReflection(m.memberId, day, parsed.reflection);
  }

  /** One text to one member, keyed `crew-challenge:<id>:<key>:member:<member id>`. */
  async function tellOne(
    memberId: string,
    key: string,
    kind: string,
    body: string,
    extra: Partial<Pick<SendSmsInput, 'window' | 'expectReply'>> = {},
  ): Promise<void> {
    await sendMessage(textTo(memberId, key, kind, body, extra));
  }

  /** The send input of one member's text, keyed `crew-challenge:<id>:<key>:member:<member id>`. */
  function textTo(
    memberId: string,
    key: string,
    kind: string,
    body: string,
    extra: Partial<Pick<SendSmsInput, 'window' | 'expectReply'>> = {},
  ): SendSmsInput {
    return {
      idempotencyKey: `crew-challenge:${challengeId}:${key}:member:${memberId}`,
      to: { memberId },
      kind,
      purpose: 'transactional',
      body,
      ...extra,
    };
  }

  /**
   * Waits until the state changes or `wakeMs`. Runs with `crew-day-batched` keep one timer per wake instant: a
   * change that leaves the instant as it was (an answer, a signal) waits on the same timer again, so it adds no
   * timer events to the history; a new instant cancels the old timer.
   */
  async function changeOrWake(wakeMs: number): Promise<void> {
    const seen = changes;
    if (!batched) {
      await condition(() => changes !== seen, wakeMs - now());
      return;
    }
    if (!wakeTimer || wakeTimer.atMs !== wakeMs) {
      wakeTimer?.scope.cancel();
      const scope = new CancellationScope();
      const timer = { atMs: wakeMs, scope, fired: false };
      scope
        .run(() => sleep(wakeMs - now()))
        .then(
          () => void (timer.fired = true),
          () => undefined, // cancelled: a newer instant replaced it
        );
      wakeTimer = timer;
    }
    const timer = wakeTimer;
    await condition(() => changes !== seen || timer.fired);
    if (timer.fired) wakeTimer = null;
  }

  async function decidePulse(day: number): Promise<void> {
    const decision = decideRelease(`day:${day + 1}`, answersOfDay(state, day), state.ledger, state.k);
    if (!decision.published) {
      state.pulses.push({ day: day + 1, published: false, figures: null, suppressed: decision.reason });
      log.info('crew pulse withheld', { challengeId, day: day + 1, reason: decision.reason });
      return;
    }
    state.ledger.push(decision.release);
    state.pulses.push({ day: day + 1, published: true, figures: decision.release.figures, suppressed: null });
    await tellAll(
      `pulse:${day + 1}`,
      await pulseBodyOf(pulseText(input.title, day + 1, decision.release.figures)),
    );
  }

  /** The pulse text, carrying one shared reflection for the members who may receive it (reflections-sms.ts). */
  async function pulseBodyOf(pulse: string): Promise<string | ((memberId: string) => Told)> {
    const r = reflectionSmsState(state);
    if (!mayCarry(r) || !patched(CREW_REFLECTIONS_SMS_PATCH)) return pulse;
    const found = await reflections.reflectionForPulse({ challengeId, carried: r.carried });
    const bodies = pulseBodies(r, pulse, found);
    // A text carrying the reflection quotes its author: sealed under the author's key too (README "Privacy").
    const author = subjectIf('member', found.reflection?.memberId);
    return (memberId) => {
      const body = bodies(memberId);
      return { body, quoting: body === pulse ? [] : [author] };
    };
  }

  /** Records every milestone now reached (before any text about it goes out). */
  function recordMilestones(): void {
    const due = recordDue(factsOf(state.pulses, state.goal?.reachedAtMs != null), state.milestones, now());
    for (const id of due) log.info('crew milestone reached', { challengeId, milestone: id });
  }

  /**
   * The texts owed: the answers to counted ADD texts (keyed by the MessageSid), then the recorded milestones not
   * yet announced (each member's text keyed by the milestone).
   */
  async function sendOwedTexts(): Promise<void> {
    while (state.addReplies.length > 0) {
      const r = state.addReplies[0]!;
      await sendMessage({
        idempotencyKey: `crew-challenge:${challengeId}:added:${r.key}:member:${r.memberId}`,
        to: { memberId: r.memberId },
        kind: 'crew_added',
        purpose: 'transactional',
        body: r.body,
      });
      state.addReplies.shift();
    }
    for (const m of state.milestones) {
      if (m.announced) continue;
      await tellAll(`milestone:${m.id}`, milestoneText(input.title, m.id, input.goal));
      m.announced = true;
      publish();
    }
  }

  /**
   * Tells member workflows the question's days (a member in an active challenge) or that it is over for them
   * (left, or `ending`). A member workflow that is gone is logged by id and not asked again. True when any was told.
   */
  async function tellMembers(ending: boolean): Promise<boolean> {
    const changes = enrolmentChanges(state, ending);
    const r = riddenState(state);
    const tell = async ({ memberId, enrol }: { memberId: string; enrol: boolean }) => {
      r.enrolled[memberId] = enrol;
      // A member workflow that was not reachable when told of the question has nothing to end.
      if (batched && !enrol && unreached(r)[memberId]) return void delete unreached(r)[memberId];
      try {
        await getExternalWorkflowHandle(memberWorkflowId(memberId)).signal(crewQuestionsSignal, {
          challengeId,
          title: input.title,
          startDate: state.startDate,
          days: input.days,
          promptTime: input.promptTime ?? DEFAULT_PROMPT_TIME,
          ...(!enrol && { ended: true }),
        });
        if (batched && enrol) delete unreached(r)[memberId];
      } catch {
        log.warn('member workflow not reachable: the challenge asks the member itself', {
          challengeId,
          memberId,
        });
        if (enrol) r.selfAsked[memberId] = true;
        if (batched && enrol) unreached(r)[memberId] = true;
      }
    };
    // Each member workflow's signals stay in order: one change per member per call, calls one after another.
    if (batched) await Promise.all(changes.map(tell));
    else for (const c of changes) await tell(c);
    return changes.length > 0;
  }

  /** Answers split from members' replies by their member workflows: counted (or logged as refused); true when any. */
  async function handleRiddenAnswers(): Promise<boolean> {
    let handled = false;
    for (let a = takeRiddenAnswer(state); a; a = takeRiddenAnswer(state)) {
      handled = true;
      const { key, ...answer } = a;
      let day: number;
      try {
        day = recordAnswer(answer);
      } catch (err) {
        const refused = fieldErrorsOf(err);
        if (!refused) throw err;
        log.info('crew answer not counted', { challengeId, key, field: refused[0]!.field });
        continue;
      }
      await shareReflection(answer.memberId, day, answer.reflection);
    }
    return handled;
  }

  /**
   * The weekly challenge of this Monday, in the crew's tone: its body is fetched once (the activity's result is
   * in the history), then each current member gets one text keyed by the week, inside their 08:00–21:00.
   */
  async function sendWeekly(week: number, weeks: number): Promise<void> {
    const { text } = await ai.writeCrewWeeklyChallenge({
      crewId: input.crewId,
      tone,
      title: input.title,
      week,
      weeks,
    });
    await tellAll(`weekly:${week}`, weeklyText(input.title, week, weeks, text), { window: ASK_WINDOW });
    state.weeklySent = week;
    touch();
  }

  /** The summary's narrative: the workflow's figures, worded by the AI layer (or its template). */
  async function narrate(totals: { done: number; atLeast: boolean; publishedDays: number }): Promise<string> {
    const goal =
      input.goal && state.goal
        ? {
            total: fromHundredths(state.goal.totalHundredths),
            target: input.goal.target,
            unit: input.goal.unit,
            reached: state.goal.reachedAtMs != null,
          }
        : null;
    const { text } = await ai.writeCrewSummaryNarrative({
      crewId: input.crewId,
      tone,
      title: input.title,
      figures: {
        days: input.days,
        done: totals.done,
        atLeast: totals.atLeast,
        publishedDays: totals.publishedDays,
        milestones: state.milestones.length,
        goal,
      },
    });
    return text;
  }

  async function cancel(why: string): Promise<ChallengeView> {
    if (rides) await tellMembers(true);
    state.status = 'cancelled';
    state.cancelReason = why;
    publish();
    await tellAll('cancelled', cancelledText(input.title, why));
    await condition(allHandlersFinished);
    return snapshot();
  }

  /** One text to every current member, keyed `crew-challenge:<id>:<key>:member:<member id>`. */
  async function tellAll(
    key: string,
    body: string | ((memberId: string) => Told),
    extra: Partial<Pick<SendSmsInput, 'window'>> = {},
  ): Promise<void> {
    const texts = currentMembers(state).map((m) => {
      const told: Told = typeof body === 'string' ? { body, quoting: [] } : body(m.memberId);
      const input = textTo(m.memberId, key, `crew_${key.split(':')[0]}`, told.body, extra);
      return { input, quoting: told.quoting };
    });
    if (batched)
      await sendEach(
        texts.map((t) => t.input),
        texts.map((t) => t.quoting),
      );
    else await Promise.all(texts.map((t) => sendMessage(t.input, { quoting: t.quoting })));
  }

  /** The Web UI's current details, and the status search attribute when the run was started with them. */
  function publish(): void {
    const ends = endsAt(state, input);
    setCurrentDetails(
      [
        `status: ${state.status}`,
        `members: ${currentMembers(state).length} (min ${input.minSize}, k ${state.k})`,
        `days: ${input.days} from ${state.startDate}${state.extended ? ' (extended once)' : ''}`,
        `pulses: ${state.pulses.filter((p) => p.published).length} published, ${state.pulses.filter((p) => !p.published).length} withheld`,
        input.goal && state.goal
          ? `goal: ${fromHundredths(state.goal.totalHundredths)} of ${input.goal.target} ${input.goal.unit}`
          : '',
        ends ? `closes itself at ${new Date(ends).toISOString()}` : '',
      ]
        .filter(Boolean)
        .join(' · '),
    );
    const info = workflowInfo().typedSearchAttributes;
    if (info.get(CREW_ID_SA) === undefined) return;
    const ids = Object.keys(state.members).sort();
    const idsChanged = (info.get(CHALLENGE_MEMBER_IDS_SA) ?? []).join() !== ids.join();
    // Histories from before the member ids attribute never upserted it.
    const upsertIds = idsChanged && patched('crew-challenge-member-ids-sa');
    if (info.get(CHALLENGE_STATUS_SA) === state.status && !upsertIds) return;
    upsertSearchAttributes([
      { key: CHALLENGE_STATUS_SA, value: state.status },
      ...(upsertIds ? [{ key: CHALLENGE_MEMBER_IDS_SA, value: ids }] : []),
    ]);
  }
}
