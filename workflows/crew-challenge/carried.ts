/**
 * The state as a continue-as-new input carries it (pure, never throws). Everything about one member goes into one
 * record per member, marked with their subject, so the payload codec seals it with their key (README "Privacy"):
 *   - their answers per day, their leaderboard alias, the next day the challenge asks them about;
 *   - their contributions to the group goal (amount and time), their running total, the `ADD` replies owed to them;
 *   - the keys of their answers handled lately (`<key>|<memberId>`);
 *   - which cells of the released pulses are theirs (release index and day).
 * What stays readable is structure and published aggregates: the members' ids and zones, statuses, the pulses,
 * each release's label and figures (each over at least k members), the goal's total and its deduplication keys.
 * Every member in the state gets a record, even an empty one, so that a record says nothing beyond membership.
 * Lists that interleave members (the goal's log, owed replies, answer keys) come back in their exact order: each
 * entry carries its position. A run from before this carries the plain forms; the new run opens both. A record
 * that opens to the codec's tombstone (a member whose key was destroyed while the challenge still held them) is
 * dropped with all it held: its released cells too, which pulse.ts then counts as at least one member gone from
 * each such release, so complementary suppression still never isolates them.
 * Ids that cannot be a subject, and the `erased-<n>` pseudonyms of states from before, stay in the plain forms.
 */
import type { Contribution } from './goal.js';
import type { MemberTotal } from './leaderboard.js';
import { openedAliases } from './leaderboard.js';
import { openedAnswers } from './sealed-answers.js';
import type { ChallengeState } from './state.js';
import { isErased, markedFor, subjectIf } from '../lib/subject.js';

type Answer = ChallengeState['answers'][string];
type Owed = NonNullable<ChallengeState['addReplies']>[number];

/** One member's part of a carried state (sealed with their key). */
export interface MemberRecord {
  /** 0-based day → answer. */
  answers: Record<string, Answer>;
  alias?: string;
  /** `sms.asked`: the next 0-based day to ask them about. */
  asked?: number;
  total?: MemberTotal;
  contributions: Array<{ at: number; hundredths: number; atMs: number }>;
  owed: Array<{ at: number; key: string; body: string }>;
  answerKeys: Array<{ at: number; key: string }>;
  /** Their cells of the released pulses: index into the ledger, and the 0-based day. */
  cells: Array<{ release: number; day: string }>;
}

/** The pseudonyms of erased members in states of runs from before the per-member records (erasure.ts then). */
const LEGACY_PSEUDONYM = /^erased-\d+$/;
const sealable = (memberId: string): boolean =>
  !LEGACY_PSEUDONYM.test(memberId) && subjectIf('member', memberId) !== null;

const split = (cell: string): [string, string] => {
  const i = cell.lastIndexOf('|');
  return [cell.slice(0, i), cell.slice(i + 1)];
};

const emptyRecord = (): MemberRecord => ({
  answers: {},
  contributions: [],
  owed: [],
  answerKeys: [],
  cells: [],
});

/** The state as the next run's input carries it: per-member records sealed, the rest as it is. */
export function carriedState(s: ChallengeState): ChallengeState {
  const records: Record<string, MemberRecord> = {};
  const rec = (memberId: string): MemberRecord | null =>
    sealable(memberId) ? (records[memberId] ??= emptyRecord()) : null;
  for (const memberId of Object.keys(s.members)) rec(memberId);

  const answers: ChallengeState['answers'] = {};
  for (const [cell, a] of Object.entries(s.answers)) {
    const [memberId, day] = split(cell);
    const r = rec(memberId);
    if (r) r.answers[day] = a;
    else answers[cell] = a;
  }
  const aliases: Record<string, string> = {};
  for (const [memberId, alias] of Object.entries(s.aliases ?? {})) {
    const r = rec(memberId);
    if (r) r.alias = alias;
    else aliases[memberId] = alias;
  }
  const totals: Record<string, MemberTotal> = {};
  for (const [memberId, t] of Object.entries(s.totals ?? {})) {
    const r = rec(memberId);
    if (r) r.total = t;
    else totals[memberId] = t;
  }
  const asked: Record<string, number> = {};
  for (const [memberId, day] of Object.entries(s.sms?.asked ?? {})) {
    const r = rec(memberId);
    if (r) r.asked = day;
    else asked[memberId] = day;
  }
  const contributions: Contribution[] = [];
  (s.goal?.contributions ?? []).forEach((c, at) => {
    const r = rec(c.memberId);
    if (r) r.contributions.push({ at, hundredths: c.hundredths, atMs: c.atMs });
    else contributions.push(c);
  });
  const addReplies: Owed[] = [];
  (s.addReplies ?? []).forEach((o, at) => {
    const r = rec(o.memberId);
    if (r) r.owed.push({ at, key: o.key, body: o.body });
    else addReplies.push(o);
  });
  const keys: string[] = [];
  (s.ridden?.keys ?? []).forEach((k, at) => {
    const [key, memberId] = split(k);
    const r = rec(memberId);
    if (r) r.answerKeys.push({ at, key });
    else keys.push(k);
  });
  const ledger = s.ledger.map((release, i) => ({
    ...release,
    cells: release.cells.filter((cell) => {
      const [memberId, day] = split(cell);
      const r = rec(memberId);
      if (r) r.cells.push({ release: i, day });
      return !r;
    }),
  }));

  const perMember: Record<string, unknown> = {};
  for (const [memberId, r] of Object.entries(records)) perMember[memberId] = markedFor('member', memberId, r);
  return {
    ...s,
    answers,
    aliases,
    totals,
    addReplies,
    ledger,
    ...(s.goal && { goal: { ...s.goal, contributions } }),
    ...(s.sms && { sms: { ...s.sms, asked } }),
    ...(s.ridden && { ridden: { ...s.ridden, keys } }),
    perMember,
  };
}

/** The state a run was handed, opened: plain forms as they are, per-member records merged back in. */
export function openedState(c: ChallengeState): ChallengeState {
  const { perMember, ...rest } = c;
  const s: ChallengeState = {
    ...rest,
    answers: openedAnswers(c.answers ?? {}),
    ...(c.aliases && { aliases: openedAliases(c.aliases) }),
  };
  if (!perMember || typeof perMember !== 'object') return s;

  const answers = s.answers;
  const aliases = { ...s.aliases };
  const totals = { ...s.totals };
  const asked = { ...s.sms?.asked };
  const contributions: Array<Placed<Contribution>> = [];
  const owed: Array<Placed<Owed>> = [];
  const keys: Array<Placed<string>> = [];
  const ledger = s.ledger.map((r) => ({ ...r, cells: [...r.cells] }));
  for (const [memberId, v] of Object.entries(perMember)) {
    const r = recordOf(v);
    if (!r) continue; // the tombstone of an erased member: nothing of theirs is carried on
    for (const [day, a] of Object.entries(r.answers)) answers[`${memberId}|${day}`] = a;
    if (typeof r.alias === 'string') aliases[memberId] = r.alias;
    if (r.total) totals[memberId] = r.total;
    if (typeof r.asked === 'number') asked[memberId] = r.asked;
    for (const x of r.contributions)
      contributions.push({ at: x.at, item: { memberId, hundredths: x.hundredths, atMs: x.atMs } });
    for (const x of r.owed) owed.push({ at: x.at, item: { key: x.key, memberId, body: x.body } });
    for (const x of r.answerKeys) keys.push({ at: x.at, item: `${x.key}|${memberId}` });
    for (const x of r.cells) ledger[x.release]?.cells.push(`${memberId}|${x.day}`);
  }
  for (const r of ledger) r.cells.sort();
  return {
    ...s,
    answers,
    aliases,
    totals,
    addReplies: merged(s.addReplies ?? [], owed),
    ledger,
    ...(s.goal && { goal: { ...s.goal, contributions: merged(s.goal.contributions, contributions) } }),
    ...(s.sms && { sms: { ...s.sms, asked } }),
    ...(s.ridden && { ridden: { ...s.ridden, keys: merged(s.ridden.keys, keys) } }),
  };
}

interface Placed<T> {
  at: number;
  item: T;
}

/**
 * The list with the placed entries back at their positions and the plain ones filling the rest in order. A
 * position past what is there (entries of a dropped record are missing) is taken as the next free one.
 */
function merged<T>(plain: readonly T[], placed: ReadonlyArray<Placed<T>>): T[] {
  const next = [...placed].sort((a, b) => a.at - b.at);
  const out: T[] = [];
  let p = 0;
  let q = 0;
  while (p < plain.length || q < next.length) {
    if (q < next.length && (next[q]!.at <= out.length || p >= plain.length)) out.push(next[q++]!.item);
    else out.push(plain[p++]!);
  }
  return out;
}

const arrayOf = <T>(v: unknown): T[] =>
  Array.isArray(v) ? (v.filter((x) => typeof x === 'object' && x !== null) as T[]) : [];

/** A carried record as written by `carriedState`; null for the tombstone or anything else. */
function recordOf(v: unknown): MemberRecord | null {
  if (typeof v !== 'object' || v === null || isErased(v)) return null;
  const r = v as Partial<MemberRecord>;
  const answers = typeof r.answers === 'object' && r.answers !== null ? r.answers : {};
  return {
    answers,
    ...(typeof r.alias === 'string' && { alias: r.alias }),
    ...(typeof r.asked === 'number' && { asked: r.asked }),
    ...(typeof r.total === 'object' && r.total !== null && { total: r.total }),
    contributions: arrayOf(r.contributions),
    owed: arrayOf(r.owed),
    answerKeys: arrayOf(r.answerKeys),
    cells: arrayOf(r.cells),
  };
}
