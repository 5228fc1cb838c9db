/**
 * The opt-in leaderboard, pure. A member appears only after choosing an alias (by API); names never appear.
 * Totals are kept incrementally per member as contributions arrive (`addToTotals`), and every row lists its own
 * contributions from the crew's event log, so each rank is explainable. A member who leaves loses their row;
 * nobody else's numbers change (their ranks may move up). Ranks are competition ranks (1, 2, 2, 4): higher
 * total first, ties share a rank and are listed by alias.
 */
import { invalidInput } from '../lib/failures.js';
import { fromHundredths, type Contribution } from './goal.js';

export interface MemberTotal {
  hundredths: number;
  count: number;
}

export interface LeaderboardRow {
  rank: number;
  alias: string;
  total: number;
  contributions: { amount: number; at: string }[];
}

/** Incremental: one contribution added to its member's running total (mutates `totals`). */
export function addToTotals(totals: Record<string, MemberTotal>, c: Contribution): void {
  const t = (totals[c.memberId] ??= { hundredths: 0, count: 0 });
  t.hundredths += c.hundredths;
  t.count += 1;
}

/** From scratch (what the incremental totals must always equal). */
export function totalsOf(log: readonly Contribution[]): Record<string, MemberTotal> {
  const totals: Record<string, MemberTotal> = {};
  for (const c of log) addToTotals(totals, c);
  return totals;
}

/**
 * The board: opted-in members (alias set) who are still in the challenge, ranked by their running totals, each
 * with its contributions from the log.
 */
export function leaderboard(
  aliases: Readonly<Record<string, string>>,
  totals: Readonly<Record<string, MemberTotal>>,
  log: readonly Contribution[],
  isCurrent: (memberId: string) => boolean,
): LeaderboardRow[] {
  const rows = Object.entries(aliases)
    .filter(([memberId]) => isCurrent(memberId))
    .map(([memberId, alias]) => ({
      alias,
      hundredths: totals[memberId]?.hundredths ?? 0,
      contributions: log
        .filter((c) => c.memberId === memberId)
        .map((c) => ({ amount: fromHundredths(c.hundredths), at: new Date(c.atMs).toISOString() })),
    }))
    .sort((a, b) => b.hundredths - a.hundredths || (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0));
  let rank = 0;
  return rows.map((r, i) => {
    if (i === 0 || r.hundredths !== rows[i - 1]!.hundredths) rank = i + 1;
    return { rank, alias: r.alias, total: fromHundredths(r.hundredths), contributions: r.contributions };
  });
}

/**
 * An alias: 2–24 letters, digits, spaces, `.`, `_` or `-`, starting with a letter; no e-mail address or phone
 * number (at most 4 digits); unique in the challenge (ignoring case). Returns it trimmed.
 */
export function validateAlias(
  alias: string,
  memberId: string,
  aliases: Readonly<Record<string, string>>,
): string {
  const a = typeof alias === 'string' ? alias.normalize('NFKC').trim() : '';
  if (!/^\p{L}[\p{L}\p{N} ._-]{1,23}$/u.test(a))
    throw invalidInput('alias', 'must be 2–24 letters, digits, spaces, . _ or -, starting with a letter');
  if ((a.match(/\p{N}/gu) ?? []).length > 4) throw invalidInput('alias', 'must not contain a phone number');
  const taken = Object.entries(aliases).some(
    ([other, x]) => other !== memberId && x.toLowerCase() === a.toLowerCase(),
  );
  if (taken) throw invalidInput('alias', 'is already taken in this challenge');
  return a;
}

/**
 * The aliases of a carried-over state as runs before the per-member records carried them (carried.ts): plain
 * (before any sealing) or each one sealed on its own; a sealed alias whose member was erased (the codec's
 * tombstone) is dropped.
 */
export function openedAliases(
  carried: Readonly<Record<string, unknown>> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [memberId, a] of Object.entries(carried ?? {})) {
    if (typeof a === 'string') out[memberId] = a;
    else if (typeof a === 'object' && a !== null && typeof (a as { alias?: unknown }).alias === 'string')
      out[memberId] = (a as { alias: string }).alias;
  }
  return out;
}
