/** The crew challenge's plain-JSON state (ids and zones only: no names, no phone numbers) and its views. */
import type {
  MemberChallengeData,
  ChallengeMember,
  ChallengeStatus,
  ChallengeView,
  CrewChallengeInput,
  PulseView,
} from './definitions.js';
import { goalView, initialGoalState, type GoalState } from './goal.js';
import type { MemberTotal } from './leaderboard.js';
import type { MilestoneRecord } from './milestones.js';
import type { Release } from './pulse.js';
import type { CrewSmsState, RiddenState } from './sms.js';
import type { ReflectionSmsState } from './reflections-sms.js';

export interface MemberEntry extends ChallengeMember {
  joinedAtMs: number;
  leftAtMs: number | null;
  optedOut: boolean;
}

export interface ChallengeState {
  status: ChallengeStatus;
  startDate: string;
  extended: boolean;
  /** Every member who was ever in the challenge (leavers keep their entry, with leftAtMs). */
  members: Record<string, MemberEntry>;
  /** `<memberId>|<0-based day>` → the member's answer for that day (the latest within the grace counts). */
  answers: Record<string, { done: boolean; energy: number | null }>;
  /** Every aggregate released (complementary suppression checks new ones against all of them). */
  ledger: Release[];
  pulses: PulseView[];
  /** The next 0-based day whose pulse is still to be decided. */
  nextPulseDay: number;
  cancelRequested: string | null;
  cancelReason: string | null;
  summary: string | null;
  /** The end summary's narrative (runs with `crew-weekly-ai`). */
  narrative?: string | null;
  /** Weekly challenge texts sent so far (runs with `crew-weekly-ai`). */
  weeklySent?: number;
  /** The pulse's k now (raised after creation, never lowered). Absent in states from before raising existed. */
  k?: number;
  /** The group goal's progress and event log (present when the input has a goal). */
  goal?: GoalState | null;
  /** Milestones, recorded before they are announced. */
  milestones?: MilestoneRecord[];
  /** Leaderboard opt-ins: member id → alias. */
  aliases?: Record<string, string>;
  /** Running totals per contributing member (kept incrementally from the event log). */
  totals?: Record<string, MemberTotal>;
  /** Replies owed to `ADD` texts (counted, not yet answered), oldest first. */
  addReplies?: { key: string; memberId: string; body: string }[];
  /** The daily question by SMS and the replies to it (sms.ts); absent in states of runs that predate it. */
  sms?: CrewSmsState;
  /** The question riding on each member's own texts (sms.ts); absent in states of runs that predate it. */
  ridden?: RiddenState;
  /** Shared reflections carried by pulse texts (reflections-sms.ts); absent in states of runs that predate it. */
  reflectionSms?: ReflectionSmsState;
  /**
   * Only in a state handed to the next run (carried.ts): member id → that member's record, sealed with their key.
   * The run opens it into the fields above.
   */
  perMember?: Record<string, unknown>;
}

export function initialState(input: CrewChallengeInput, nowMs: number): ChallengeState {
  const members: Record<string, MemberEntry> = {};
  for (const m of input.members)
    members[m.memberId] = { ...m, joinedAtMs: nowMs, leftAtMs: null, optedOut: false };
  return {
    status: 'gathering',
    startDate: input.startDate,
    extended: false,
    members,
    answers: {},
    ledger: [],
    pulses: [],
    nextPulseDay: 0,
    cancelRequested: null,
    cancelReason: null,
    summary: null,
    ...extensions(input),
  };
}

/** The fields added after the first release, filled in for a state carried over by continue-as-new. */
function extensions(input: CrewChallengeInput) {
  return {
    k: input.k,
    goal: input.goal ? initialGoalState() : null,
    milestones: [] as MilestoneRecord[],
    aliases: {} as Record<string, string>,
    totals: {} as Record<string, MemberTotal>,
    addReplies: [] as { key: string; memberId: string; body: string }[],
  };
}

export type FullState = ChallengeState & Required<Pick<ChallengeState, keyof ReturnType<typeof extensions>>>;

export function withExtensions(input: CrewChallengeInput, s: ChallengeState): FullState {
  const x = extensions(input);
  s.k ??= x.k;
  s.goal ??= x.goal;
  s.milestones ??= x.milestones;
  s.aliases ??= x.aliases;
  s.totals ??= x.totals;
  s.addReplies ??= x.addReplies;
  return s as FullState;
}

export const currentMembers = (s: ChallengeState): MemberEntry[] =>
  Object.values(s.members).filter((m) => m.leftAtMs === null);

export function view(input: CrewChallengeInput, s: FullState, endsAtMs: number | null): ChallengeView {
  return {
    challengeId: input.challengeId,
    crewId: input.crewId,
    title: input.title,
    status: s.status,
    days: input.days,
    startDate: s.startDate,
    extended: s.extended,
    minSize: input.minSize,
    k: s.k,
    memberCount: currentMembers(s).length,
    endsAt: endsAtMs === null ? null : new Date(endsAtMs).toISOString(),
    pulses: s.pulses,
    summary: s.summary,
    narrative: s.narrative ?? null,
    cancelReason: s.cancelReason,
    goal: goalView(input.goal, s.goal),
    milestones: s.milestones.map((m) => ({ id: m.id, reachedAt: new Date(m.reachedAtMs).toISOString() })),
  };
}

/** One member's own data (their export): their entry, answers, alias and contributions; null if never in it. */
export function memberData(s: ChallengeState, memberId: string): MemberChallengeData | null {
  const entry = s.members[memberId];
  if (!entry) return null;
  const prefix = `${memberId}|`;
  const answers = Object.entries(s.answers)
    .filter(([key]) => key.startsWith(prefix))
    .map(([key, a]) => ({ day: Number(key.slice(prefix.length)) + 1, done: a.done, energy: a.energy }))
    .sort((a, b) => a.day - b.day);
  const total = s.totals?.[memberId];
  return {
    memberId,
    joinedAt: new Date(entry.joinedAtMs).toISOString(),
    leftAt: entry.leftAtMs === null ? null : new Date(entry.leftAtMs).toISOString(),
    answers,
    leaderboardAlias: s.aliases?.[memberId] ?? null,
    contributions: total ? { total: total.hundredths / 100, count: total.count } : null,
  };
}
