/**
 * What a member's text means (pure): the workflow turns each inbound reply into one of these decisions, then
 * acts on it. Keywords (STOP/START/HELP) never get here: the webhook and the keyword workflow handle them.
 */
import { addDays, localDate } from '../lib/time.js';
import { classifyInbound, normalize, parseCheckInReply } from '../lib/keywords.js';
import type { InboundReply } from './definitions.js';
import { goalProblem, parseGoalCommand, type GoalCommand } from './goals.js';
import { activeGoals, type MemberState } from './state.js';

export type ReplyDecision =
  /** Onboarding: YES (or START, Y) confirms. */
  | { kind: 'confirm' }
  /** Onboarding: anything else gets the hint. */
  | { kind: 'confirm_hint' }
  | { kind: 'goal_help' }
  | { kind: 'goal_rejected'; reason: string }
  | { kind: 'add_goal'; goal: GoalCommand }
  /** REST: closes today's open prompt as a rest day, or skips today's prompt. */
  | { kind: 'rest' }
  /** A picture without words (MMS): stored by the webhook, nothing to answer. */
  | { kind: 'media_only' }
  | { kind: 'clarify' }
  /** A goal number today's prompt did not list. */
  | { kind: 'unknown_goal'; number: number; listed: number }
  /** "yesterday Y/N" for yesterday's missed day. */
  | { kind: 'late'; done: boolean; reflection?: string; mood?: number }
  /** A check-in reply that cannot count: no open prompt, late for a day not missed yesterday, or already answered. */
  | { kind: 'not_counted'; why: 'no_open_prompt' | 'outside_grace_window' | 'already_answered' }
  /** Answers (goal id → done) to today's open prompt. */
  | {
      kind: 'answers';
      byGoal: Array<[number, boolean]>;
      reflection?: string;
      mood?: number;
    };

const REST_WORDS = /^\s*(?:rest|rest\s*day|day\s*off)[\s.!]*$/iu;
const GOAL_WORD = /^\s*goal(?![\p{L}\p{N}])/iu;
/** The whole text is `word` (any case; surrounding spaces and punctuation ignored). */
const isWord = (body: string, word: string) =>
  normalize(body)
    .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '')
    .toUpperCase() === normalize(word).toUpperCase();

export function decideReply(
  state: MemberState,
  reply: InboundReply,
  ctx: { nowMs: number; maxActiveGoals: number; confirmWord?: string },
): ReplyDecision {
  const body = reply.body;
  if (state.status === 'pending_confirmation') {
    const k = classifyInbound(body);
    const single = parseCheckInReply(body);
    const yes =
      (ctx.confirmWord !== undefined && isWord(body, ctx.confirmWord)) ||
      (k.kind === 'opt_in' && k.keyword !== 'UNSTOP') ||
      (single.ok &&
        single.answers.length === 1 &&
        single.answers[0]!.goal === null &&
        single.answers[0]!.done);
    return { kind: yes ? 'confirm' : 'confirm_hint' };
  }
  if (GOAL_WORD.test(body)) {
    const goal = parseGoalCommand(body);
    if (!goal) return { kind: 'goal_help' };
    const problem = goalProblem(goal, {
      erased: false,
      activeGoals: activeGoals(state).length,
      maxActiveGoals: ctx.maxActiveGoals,
    });
    if (problem) return { kind: 'goal_rejected', reason: `${problem.field}: ${problem.message}` };
    return { kind: 'add_goal', goal };
  }
  if (REST_WORDS.test(body)) return { kind: 'rest' };
  if (body.trim() === '' && (reply.numMedia ?? 0) > 0) return { kind: 'media_only' };

  const parsed = parseCheckInReply(body);
  if (!parsed.ok || parsed.answers.length === 0) return { kind: 'clarify' };
  const note = {
    ...(parsed.reflection !== undefined && { reflection: parsed.reflection }),
    ...(parsed.mood !== undefined && { mood: parsed.mood }),
  };
  if (parsed.forYesterday) {
    const yesterday = addDays(localDate(ctx.nowMs, state.timezone), -1);
    if (state.lastMissed?.localDate !== yesterday)
      return { kind: 'not_counted', why: 'outside_grace_window' };
    return { kind: 'late', done: parsed.answers.every((a) => a.done), ...note };
  }
  const prompt = state.openPrompt;
  if (!prompt) return { kind: 'not_counted', why: 'no_open_prompt' };

  // A single answer covers every goal still open; numbers follow the prompt's list.
  const byGoal = new Map<number, boolean>();
  for (const a of parsed.answers) {
    if (a.goal === null) for (const id of prompt.pendingGoalIds) byGoal.set(id, a.done);
    else {
      const id = prompt.goalIds[a.goal - 1];
      if (id === undefined) return { kind: 'unknown_goal', number: a.goal, listed: prompt.goalIds.length };
      if (prompt.pendingGoalIds.includes(id)) byGoal.set(id, a.done);
    }
  }
  if (byGoal.size === 0) return { kind: 'not_counted', why: 'already_answered' };
  return { kind: 'answers', byGoal: [...byGoal], ...note };
}
