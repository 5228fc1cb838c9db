/**
 * The crew activities (the crew SMS command workflow's group): find the crew a `JOIN <code>` names, join with the
 * consent the member confirmed by SMS, leave by SMS. Postgres writes go through db/crews.ts (its one writer);
 * each returns the running challenges' workflow ids for the workflow to signal. Idempotent under retries: a join
 * retried after it committed finds the member already in; a leave retried finds the membership already ended.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import {
  challengesOfCrew,
  crewMembership,
  crewsOfMember,
  setReflectionSharing,
  findCrewByCode,
  joinCrew,
  FLAGGER_MIN_DAYS,
  flagReflection,
  joinCrewAsNewMember,
  leaveCrew,
  newestReportableReflection,
} from '../db/crews.js';
import { consentEvents, crews, inboundMessages, members } from '../db/schema.js';
import { crewChallengeWorkflowId } from '../workflows/ids.js';

export interface CrewRef {
  crewId: string;
  name: string;
  joinCode: string;
  pulseK: number;
}

export type CrewForJoin =
  | ({ outcome: 'found' } & CrewRef)
  | ({ outcome: 'already_member' | 'full' } & CrewRef)
  | { outcome: 'wrong_code' };

export type SmsJoinResult =
  | { outcome: 'joined' | 'already_member'; challengeWorkflowIds: string[]; timezone: string }
  | { outcome: 'full' | 'wrong_code' | 'no_crew' | 'no_member' };

export interface NewcomerJoined {
  outcome: 'joined' | 'already_member';
  memberId: string;
  timezone: string;
  challengeWorkflowIds: string[];
}
export type NewcomerJoinResult = NewcomerJoined | { outcome: 'full' } | { outcome: 'no_crew' };

/** The reflection a `REPORT` text means (ids and where it is, never its text), or none. */
export type ReportTarget =
  { found: true; challengeId: string; reflectionId: string; day: number; title: string } | { found: false };

export type SmsReportResult =
  | { outcome: 'reported'; flags: number; hidden: boolean }
  | { outcome: 'too_new'; minDays: number }
  | { outcome: 'gone' };

export type SmsNotesResult =
  | ({ outcome: 'set'; changed: boolean } & CrewRef)
  | { outcome: 'not_member' }
  | { outcome: 'choose'; crews: CrewRef[] };

export type SmsLeaveResult =
  | ({ outcome: 'left'; challengeWorkflowIds: string[] } & CrewRef)
  | { outcome: 'not_member' }
  | { outcome: 'choose'; crews: CrewRef[] };

const ref = (c: typeof crews.$inferSelect): CrewRef => ({
  crewId: c.id,
  name: c.name,
  joinCode: c.joinCode,
  pulseK: c.pulseK,
});

const challengeIds = async (db: Db, crewId: string) =>
  (await challengesOfCrew(db, crewId)).map((c) => crewChallengeWorkflowId(c.id));

export function createCrewActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    /** The crew named by a join code, and whether this member can join it now. */
    async crewForSmsJoin(args: { memberId: string | null; code: string }): Promise<CrewForJoin> {
      const crew = await findCrewByCode(db, args.code);
      if (!crew) return { outcome: 'wrong_code' };
      const current = await crewMembership(db, crew.id);
      if (current.some((m) => m.memberId === args.memberId))
        return { outcome: 'already_member', ...ref(crew) };
      if (current.length >= crew.maxSize) return { outcome: 'full', ...ref(crew) };
      return { outcome: 'found', ...ref(crew) };
    },

    /** Join with the pulse consent the member confirmed by SMS (evidence: both texts and the text agreed to). */
    async joinCrewBySms(args: {
      crewId: string;
      memberId: string;
      joinCode: string;
      inboundMessageIds: number[];
      confirmationText: string;
    }): Promise<SmsJoinResult> {
      const res = await joinCrew(db, {
        crewId: args.crewId,
        memberId: args.memberId,
        joinCode: args.joinCode,
        consent: { pulses: true, reflections: false },
        evidence: {
          via: 'sms',
          reference: `inbound:${args.inboundMessageIds.at(-1)}`,
          inboundMessageIds: args.inboundMessageIds,
          confirmationText: args.confirmationText,
        },
      });
      if (res.outcome !== 'joined' && res.outcome !== 'already_member') return { outcome: res.outcome };
      const [m] = await db
        .select({ timezone: members.timezone })
        .from(members)
        .where(eq(members.id, args.memberId));
      return {
        outcome: res.outcome,
        challengeWorkflowIds: await challengeIds(db, args.crewId),
        timezone: m!.timezone,
      };
    },

    /**
     * A phone that is not a member's confirmed `JOIN <code>` with YES: it becomes a member (`memberId` is the id
     * it gets; the phone is read from the JOIN text, never passed through the workflow) and joins with the pulse
     * consent, evidence as for a member's join. A full crew creates nothing. A retry after the commit finds the
     * member in the crew (`already_member` with the same id).
     */
    async joinCrewAsNewMember(args: {
      crewId: string;
      memberId: string;
      joinCode: string;
      checkInTime: string;
      inboundMessageIds: number[];
      confirmationText: string;
    }): Promise<NewcomerJoinResult> {
      const [joinText] = await db
        .select({ phone: inboundMessages.fromPhone })
        .from(inboundMessages)
        .where(eq(inboundMessages.id, args.inboundMessageIds[0]!));
      if (!joinText) return { outcome: 'no_crew' };
      const res = await joinCrewAsNewMember(db, {
        crewId: args.crewId,
        memberId: args.memberId,
        phone: joinText.phone,
        checkInTime: args.checkInTime,
        consent: { pulses: true, reflections: false },
        evidence: {
          via: 'sms',
          reference: `inbound:${args.inboundMessageIds.at(-1)}`,
          inboundMessageIds: args.inboundMessageIds,
          confirmationText: args.confirmationText,
        },
      });
      if (res.outcome === 'full' || res.outcome === 'no_crew') return { outcome: res.outcome };
      return { ...res, challengeWorkflowIds: await challengeIds(db, args.crewId) } as NewcomerJoined;
    },

    /** `REPORT` by SMS: the newest shared reflection by someone else in the member's crews' challenges. */
    async reflectionToReport(args: { memberId: string }): Promise<ReportTarget> {
      const r = await newestReportableReflection(db, args.memberId);
      return r ? { found: true, ...r } : { found: false };
    },

    /**
     * The member's report of that reflection, as `POST …/flags` does (once per member; two members of 3+ days
     * hide it, the decision kept). A retry after the commit finds the report made and answers the same.
     */
    async reportReflectionBySms(args: {
      challengeId: string;
      reflectionId: string;
      memberId: string;
    }): Promise<SmsReportResult> {
      const res = await flagReflection(db, { ...args, via: 'sms', now: new Date() });
      if (res.outcome === 'flagged' || res.outcome === 'already_flagged')
        return { outcome: 'reported', flags: res.flags, hidden: res.status === 'hidden' };
      if (res.outcome === 'too_new') return { outcome: 'too_new', minDays: FLAGGER_MIN_DAYS };
      return { outcome: 'gone' };
    },

    /**
     * Leave the crew with this code, or the member's only crew; with several crews and no code, the crews to
     * choose from. A retry after the leave committed finds it ended by this text and reports it again.
     */
    /**
     * `NOTES ON|OFF [<code>]`: consent to share reflections with the crew with this code, or the member's only
     * crew, given or withdrawn with the inbound text and the exact invitation shown as evidence. A retry finds it
     * already so (`changed` false) and answers the same.
     */
    async setReflectionSharingBySms(args: {
      memberId: string;
      code: string | null;
      share: boolean;
      inboundId: number;
      shownText: string;
    }): Promise<SmsNotesResult> {
      const mine = await crewsOfMember(db, args.memberId);
      const crew = args.code ? mine.find((r) => r.crew.joinCode === args.code)?.crew : mine[0]?.crew;
      if (!args.code && mine.length > 1) return { outcome: 'choose', crews: mine.map((r) => ref(r.crew)) };
      if (!crew) return { outcome: 'not_member' };
      const res = await setReflectionSharing(db, {
        crewId: crew.id,
        memberId: args.memberId,
        share: args.share,
        evidence: {
          via: 'sms',
          reference: `inbound:${args.inboundId}`,
          inboundMessageIds: [args.inboundId],
          confirmationText: args.shownText,
        },
      });
      if (!res) return { outcome: 'not_member' };
      return { outcome: 'set', changed: res.changed, ...ref(crew) };
    },
    async leaveCrewBySms(args: {
      memberId: string;
      code: string | null;
      inboundId: number;
    }): Promise<SmsLeaveResult> {
      const reference = `inbound:${args.inboundId}`;
      let crew: typeof crews.$inferSelect | undefined;
      if (args.code) crew = await findCrewByCode(db, args.code);
      else {
        const mine = await crewsOfMember(db, args.memberId);
        if (mine.length > 1) return { outcome: 'choose', crews: mine.map((r) => ref(r.crew)) };
        crew = mine[0]?.crew;
        if (!crew) crew = await leftByThisText(args.memberId, reference);
      }
      if (!crew) return { outcome: 'not_member' };
      const left = await leaveCrew(db, {
        crewId: crew.id,
        memberId: args.memberId,
        evidence: { via: 'sms', reference, inboundMessageIds: [args.inboundId] },
      });
      if (!left && !(await leftByThisText(args.memberId, reference, crew.id)))
        return { outcome: 'not_member' };
      return { outcome: 'left', challengeWorkflowIds: await challengeIds(db, crew.id), ...ref(crew) };
    },
  };

  /** The crew this text already made the member leave (the activity retried after its leave committed). */
  async function leftByThisText(memberId: string, reference: string, crewId?: string) {
    const [row] = await db
      .select({ crew: crews })
      .from(consentEvents)
      .innerJoin(crews, eq(crews.id, sql`(${consentEvents.evidence}->>'crewId')::uuid`))
      .where(
        and(
          eq(consentEvents.purpose, 'crew_pulses'),
          eq(consentEvents.action, 'opt_out'),
          sql`${consentEvents.evidence}->>'memberId' = ${memberId}`,
          sql`${consentEvents.evidence}->>'reference' = ${reference}`,
          crewId ? eq(crews.id, crewId) : undefined,
        ),
      )
      .limit(1);
    return row?.crew;
  }
}
