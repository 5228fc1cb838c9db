/** The crew challenge's plain-JSON state (ids and zones only: no names, no phone numbers) and its views. */
import type {
  ChallengeMember,
  ChallengeStatus,
  ChallengeView,
  CrewChallengeInput,
  PulseView,
} from './definitions.js';
import type { Release } from './pulse.js';
import type { CrewSmsState } from './sms.js';

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
  /** The daily question by SMS and the replies to it (sms.ts); absent in states of runs that predate it. */
  sms?: CrewSmsState;
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
  };
}

export const currentMembers = (s: ChallengeState): MemberEntry[] =>
  Object.values(s.members).filter((m) => m.leftAtMs === null);

export function view(input: CrewChallengeInput, s: ChallengeState, endsAtMs: number | null): ChallengeView {
  return {
    challengeId: input.challengeId,
    crewId: input.crewId,
    title: input.title,
    status: s.status,
    days: input.days,
    startDate: s.startDate,
    extended: s.extended,
    minSize: input.minSize,
    k: input.k,
    memberCount: currentMembers(s).length,
    endsAt: endsAtMs === null ? null : new Date(endsAtMs).toISOString(),
    pulses: s.pulses,
    summary: s.summary,
    cancelReason: s.cancelReason,
  };
}
