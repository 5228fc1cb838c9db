/**
 * The challenge's rules, pure: the start gate, each member's local days (DST-safe: days begin at local
 * midnight, whatever the offset), the 24 h late grace, the self-close instant, the answer validator and the
 * end-summary totals.
 */
import { invalidInput } from '../lib/failures.js';
import { addDays, isLocalDate, zonedTimeToUtc } from '../lib/time.js';
import { LATE_GRACE_MS, MAX_K, type CrewChallengeInput, type PulseAnswerInput } from './definitions.js';
import { validateContribution as validateContributionFields, type ContributionInput } from './goal.js';
import { validateAlias as validateAliasText } from './leaderboard.js';
import { cellKey, decideRelease, lostCells, membersOfCells, type PulseAnswer } from './pulse.js';
import type { ChallengeState, FullState } from './state.js';

const MS_PER_DAY = 86_400_000;
/** The longest reflection accepted with an answer. */
export const MAX_REFLECTION = 1000;

/** Whole days from `from` to `to` (local dates). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / MS_PER_DAY);
}

/** The start gate: local midnight of the start date in the crew's zone. */
export const startGateAt = (s: ChallengeState, crewTimezone: string): number =>
  zonedTimeToUtc(s.startDate, 0, 0, crewTimezone);

/** The instant the member's local day `day` (0-based) ends: the next local midnight in their zone. */
export const dayEndMs = (s: ChallengeState, timezone: string, day: number): number =>
  zonedTimeToUtc(addDays(s.startDate, day + 1), 0, 0, timezone);

/**
 * When day `day`'s pulse is decided: the end of that day for the LAST member (every member ever in the
 * challenge) plus the late grace — no answer for it can arrive after that.
 */
export function pulseCloseAt(s: ChallengeState, day: number): number {
  const ends = Object.values(s.members).map((m) => dayEndMs(s, m.timezone, day));
  return Math.max(...ends) + LATE_GRACE_MS;
}

/** The challenge closes itself when its last day's pulse closes. */
export const endsAt = (s: ChallengeState, input: Pick<CrewChallengeInput, 'days'>): number | null =>
  Object.keys(s.members).length === 0 ? null : pulseCloseAt(s, input.days - 1);

/** Validator of `answer`: throws invalidInput naming the field; returns the 0-based day. */
export function validateAnswer(
  s: ChallengeState,
  input: Pick<CrewChallengeInput, 'days'>,
  a: PulseAnswerInput,
  nowMs: number,
): number {
  if (s.status !== 'active') throw invalidInput('status', `the challenge is ${s.status}`);
  const m = s.members[a.memberId];
  if (!m || m.leftAtMs !== null) throw invalidInput('memberId', 'is not in this challenge');
  if (!isLocalDate(a.localDate)) throw invalidInput('localDate', 'must be a local date YYYY-MM-DD');
  const day = daysBetween(s.startDate, a.localDate);
  if (day < 0 || day >= input.days) throw invalidInput('localDate', 'is outside the challenge');
  if (zonedTimeToUtc(a.localDate, 0, 0, m.timezone) > nowMs)
    throw invalidInput('localDate', 'has not begun yet in the member’s zone');
  if (nowMs >= dayEndMs(s, m.timezone, day) + LATE_GRACE_MS)
    throw invalidInput('localDate', 'the 24 h grace for that day has passed');
  if (a.energy != null && !(Number.isInteger(a.energy) && a.energy >= 1 && a.energy <= 5))
    throw invalidInput('energy', 'must be a whole number from 1 to 5');
  if (a.reflection != null && (typeof a.reflection !== 'string' || a.reflection.length > MAX_REFLECTION))
    throw invalidInput('reflection', `must be text of at most ${MAX_REFLECTION} characters`);
  return day;
}

const currentMember = (s: ChallengeState, memberId: string, field = 'memberId') => {
  const m = s.members[memberId];
  if (!m || m.leftAtMs !== null) throw invalidInput(field, 'is not in this challenge');
  return m;
};

/** Validator of `contribute`: the challenge is active, the member in it; returns the amount in hundredths. */
export function validateContribution(
  s: ChallengeState,
  input: Pick<CrewChallengeInput, 'goal'>,
  c: ContributionInput,
): number {
  const hundredths = validateContributionFields(input.goal, c);
  if (s.status !== 'active') throw invalidInput('status', `the challenge is ${s.status}`);
  currentMember(s, c.memberId);
  return hundredths;
}

/** Validator of `leaderboardAlias`: a current member; null opts out; returns the alias to keep (trimmed). */
export function validateAlias(s: FullState, memberId: string, alias: string | null): string | null {
  if (s.status === 'completed' || s.status === 'cancelled')
    throw invalidInput('status', `the challenge is ${s.status}`);
  currentMember(s, memberId);
  return alias === null ? null : validateAliasText(alias, memberId, s.aliases);
}

/** Validator of `raiseK`: a whole number from the current k (never lower) to MAX_K, while the challenge runs. */
export function validateRaiseK(s: FullState, k: number): number {
  if (s.status === 'completed' || s.status === 'cancelled')
    throw invalidInput('status', `the challenge is ${s.status}`);
  if (!Number.isInteger(k) || k > MAX_K) throw invalidInput('k', `must be a whole number up to ${MAX_K}`);
  if (k < s.k) throw invalidInput('k', `can only be raised: it is ${s.k}`);
  return k;
}

/** The answers of one day, as pulse cells. */
export function answersOfDay(s: ChallengeState, day: number): PulseAnswer[] {
  return Object.entries(s.answers)
    .map(([key, a]) => ({
      memberId: key.slice(0, key.lastIndexOf('|')),
      day: Number(key.slice(key.lastIndexOf('|') + 1)),
      ...a,
    }))
    .filter((a) => a.day === day)
    .sort((x, y) => (x.memberId < y.memberId ? -1 : 1));
}

/**
 * The end summary's totals. The whole challenge's total is itself a release: its difference with the published
 * day pulses is the withheld days' answers, so when those describe fewer than k members the summary reports the
 * total of the published days only ("at least").
 */
export function summaryTotals(s: ChallengeState, days: number, k: number) {
  const all: PulseAnswer[] = [];
  for (let d = 0; d < days; d++) all.push(...answersOfDay(s, d));
  const decision = decideRelease('total', all, s.ledger, k);
  const publishedDays = s.pulses.filter((p) => p.published);
  // Beyond pairs: the total minus the SUM of the published days is the withheld days' answers.
  const withheld = all.filter((a) => !s.pulses[a.day]?.published);
  // And the published days' cells the total no longer holds (an erased member's, erasure.ts): the SUM of the
  // published days minus the total is exactly what the two sets describe together. Cells that left the ledger
  // with an erased member are at least one member more (pulse.ts `lostCells`).
  const held = new Set(all.map(cellKey));
  const dayReleases = s.ledger.filter((r) => r.label.startsWith('day:'));
  const dropped = dayReleases.flatMap((r) => r.cells.filter((c) => !held.has(c)));
  const differenceMembers =
    membersOfCells([...withheld.map(cellKey), ...dropped]) + (dayReleases.some(lostCells) ? 1 : 0);
  if (decision.published && (differenceMembers === 0 || differenceMembers >= k))
    return {
      ...decision.release.figures,
      atLeast: false,
      publishedDays: publishedDays.length,
      release: decision.release,
    };
  const done = publishedDays.reduce((n, p) => n + p.figures!.done, 0);
  const responded = publishedDays.reduce((n, p) => n + p.figures!.responded, 0);
  return { done, responded, atLeast: true, publishedDays: publishedDays.length, release: null };
}
