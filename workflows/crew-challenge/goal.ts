/**
 * The group goal, pure: a shared target (e.g. 60 workouts, 200 km) set when the challenge is created, and the
 * contributions towards it. Every contribution carries a business key (`sms:<MessageSid>` for `ADD 5` by text,
 * `api:<Idempotency-Key>` by API): a key already seen is a duplicate and counts nothing. The keys seen are a
 * bounded, first-in-first-out set kept in the state, so it survives continue-as-new.
 *
 * Amounts are kept in hundredths (integers): `ADD 2.5` is 250, so sums never drift.
 */
import { invalidInput } from '../lib/failures.js';

/** Keys remembered for deduplication (the oldest are forgotten first). Twilio redelivers within minutes. */
export const SEEN_KEYS_LIMIT = 2000;
/** The largest single contribution, and the largest target. */
export const MAX_AMOUNT = 10_000;
export const MAX_TARGET = 1_000_000;
export const MAX_UNIT_LENGTH = 20;
export const MAX_KEY_LENGTH = 200;

export interface GroupGoal {
  /** What is counted, e.g. `workouts` or `km`. */
  unit: string;
  /** The crew's shared target, in that unit (at most 2 decimals). */
  target: number;
}

export interface ContributionInput {
  memberId: string;
  /** Positive, at most 2 decimals. */
  amount: number;
  /** Optional; when given it must be the goal's unit (`km`, `KM`; `workout` for `workouts`). */
  unit?: string | null;
  /** The business idempotency key: `sms:<MessageSid>` or `api:<Idempotency-Key>`. */
  key: string;
}

export interface Contribution {
  memberId: string;
  hundredths: number;
  atMs: number;
}

export interface GoalState {
  totalHundredths: number;
  reachedAtMs: number | null;
  /** The crew's event log of contributions, oldest first (the leaderboard explains ranks from it). */
  contributions: Contribution[];
  /** The most recent SEEN_KEYS_LIMIT keys, oldest first. */
  seenKeys: string[];
}

export interface ContributionResult {
  counted: boolean;
  /** The key was seen before: nothing was added. */
  duplicate: boolean;
  total: number;
  target: number;
  reached: boolean;
}

export const initialGoalState = (): GoalState => ({
  totalHundredths: 0,
  reachedAtMs: null,
  contributions: [],
  seenKeys: [],
});

export const toHundredths = (amount: number): number => Math.round(amount * 100);
export const fromHundredths = (h: number): number => h / 100;

const hasAtMostTwoDecimals = (n: number): boolean => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6;

/** Units compare case-insensitively, ignoring surrounding spaces and a plural `s`. */
export function sameUnit(a: string, b: string): boolean {
  const norm = (u: string) =>
    u
      .normalize('NFKC')
      .trim()
      .toLowerCase()
      .replace(/(?<=\p{L}{2})s$/u, '');
  return norm(a) === norm(b);
}

/** Validates a goal given at creation (throws invalidInput naming `goal.<field>`). */
export function validateGoal(g: GroupGoal): void {
  if (typeof g.unit !== 'string' || !/^[\p{L}][\p{L} ]{0,19}$/u.test(g.unit.trim()))
    throw invalidInput('goal.unit', `must be 1–${MAX_UNIT_LENGTH} letters`);
  if (
    typeof g.target !== 'number' ||
    !Number.isFinite(g.target) ||
    g.target <= 0 ||
    g.target > MAX_TARGET ||
    !hasAtMostTwoDecimals(g.target)
  )
    throw invalidInput(
      'goal.target',
      `must be a positive number up to ${MAX_TARGET} with at most 2 decimals`,
    );
}

/** Validates a contribution's own fields (membership and status are the workflow's). Returns hundredths. */
export function validateContribution(goal: GroupGoal | null | undefined, c: ContributionInput): number {
  if (!goal) throw invalidInput('goal', 'this challenge has no group goal');
  if (typeof c.key !== 'string' || c.key.length === 0 || c.key.length > MAX_KEY_LENGTH)
    throw invalidInput('key', `must be 1–${MAX_KEY_LENGTH} characters`);
  if (
    typeof c.amount !== 'number' ||
    !Number.isFinite(c.amount) ||
    c.amount <= 0 ||
    c.amount > MAX_AMOUNT ||
    !hasAtMostTwoDecimals(c.amount)
  )
    throw invalidInput('amount', `must be a positive number up to ${MAX_AMOUNT} with at most 2 decimals`);
  if (c.unit != null && !sameUnit(c.unit, goal.unit))
    throw invalidInput('unit', `must be the goal's unit (${goal.unit})`);
  return toHundredths(c.amount);
}

/**
 * Apply a validated contribution: counted once per key. Mutates `g`. Returns whether it was new and whether
 * this contribution is the one that reached the target.
 */
export function applyContribution(
  g: GoalState,
  goal: GroupGoal,
  c: { memberId: string; key: string; hundredths: number },
  nowMs: number,
): ContributionResult & { reachedNow: boolean } {
  const duplicate = g.seenKeys.includes(c.key);
  let reachedNow = false;
  if (!duplicate) {
    g.seenKeys.push(c.key);
    if (g.seenKeys.length > SEEN_KEYS_LIMIT) g.seenKeys.splice(0, g.seenKeys.length - SEEN_KEYS_LIMIT);
    g.contributions.push({ memberId: c.memberId, hundredths: c.hundredths, atMs: nowMs });
    g.totalHundredths += c.hundredths;
    if (g.reachedAtMs === null && g.totalHundredths >= toHundredths(goal.target)) {
      g.reachedAtMs = nowMs;
      reachedNow = true;
    }
  }
  return {
    counted: !duplicate,
    duplicate,
    total: fromHundredths(g.totalHundredths),
    target: goal.target,
    reached: g.reachedAtMs !== null,
    reachedNow,
  };
}

export interface GoalView {
  unit: string;
  target: number;
  total: number;
  /** 0–100, whole percent, capped at 100. */
  percent: number;
  reached: boolean;
  reachedAt: string | null;
  contributions: number;
}

export function goalView(
  goal: GroupGoal | null | undefined,
  g: GoalState | null | undefined,
): GoalView | null {
  if (!goal || !g) return null;
  const target = toHundredths(goal.target);
  return {
    unit: goal.unit,
    target: goal.target,
    total: fromHundredths(g.totalHundredths),
    percent: Math.min(100, Math.floor((g.totalHundredths * 100) / target)),
    reached: g.reachedAtMs !== null,
    reachedAt: g.reachedAtMs === null ? null : new Date(g.reachedAtMs).toISOString(),
    contributions: g.contributions.length,
  };
}

/**
 * `ADD <amount> [unit]` by SMS: `ADD 5`, `add 2.5 km`, `ADD 2,5km`, `Add 3 workouts!`. The unit is optional
 * (the goal's unit is assumed); a decimal comma is accepted. Anything else is not an ADD (null).
 */
export function parseAdd(body: string): { amount: number; unit: string | null } | null {
  const m = /^\s*add\s+(\d{1,6}(?:[.,]\d{1,2})?)\s*([\p{L}][\p{L} ]{0,19}?)?[\s.!]*$/iu.exec(
    body.normalize('NFKC'),
  );
  if (!m) return null;
  return { amount: Number(m[1]!.replace(',', '.')), unit: m[2]?.trim() || null };
}
