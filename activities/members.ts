import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { recordMemberOptIn } from '../db/consent.js';
import { mirrorStreaks, setMemberStatus, setRiskLevel } from '../db/members.js';
import { checkIns, goals, riskEvents } from '../db/schema.js';
import { invalidInput } from '../workflows/lib/failures.js';
import type { GoalView, RiskChange } from '../workflows/member/definitions.js';

/**
 * Text Postgres can never store: NUL bytes (text columns refuse them) and lone UTF-16 surrogates (not UTF-8).
 * Such input fails for good, so it is refused as InvalidInput (non-retryable) instead of retried forever.
 */
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;
function assertStorable(field: string, text: string | null | undefined): void {
  if (text != null && UNSTORABLE.test(text))
    throw invalidInput(field, 'contains characters that cannot be stored');
}

export interface DayEntry {
  goalId: number;
  status: 'done' | 'not_done' | 'missed' | 'rest';
  reflection: string | null;
  mood: number | null;
  /** Moderation verdict for the reflection; null when there is none. */
  shareable: boolean | null;
  inboundMessageId: number | null;
}

export interface RecordDayInput {
  memberId: string;
  localDate: string;
  entries: DayEntry[];
  /** The member's day streak after this day (mirrored on the member row). */
  currentStreak: number;
  longestStreak: number;
}

export function createMemberActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    /**
     * One local day's check-ins for several goals in one transaction. Idempotent (one row per member, goal and
     * local date); a later answer for the same goal and day (a late "yesterday Y") replaces the earlier one.
     */
    async recordDay(input: RecordDayInput): Promise<void> {
      if (input.entries.length === 0) return;
      for (const e of input.entries) assertStorable('reflection', e.reflection);
      await db.transaction(async (tx) => {
        await tx
          .insert(checkIns)
          .values(input.entries.map((e) => ({ memberId: input.memberId, localDate: input.localDate, ...e })))
          .onConflictDoUpdate({
            target: [checkIns.memberId, checkIns.goalId, checkIns.localDate],
            set: {
              status: sql`excluded.status`,
              reflection: sql`excluded.reflection`,
              mood: sql`excluded.mood`,
              shareable: sql`excluded.shareable`,
              inboundMessageId: sql`excluded.inbound_message_id`,
              recordedAt: sql`now()`,
            },
          });
        const answered = input.entries.some((e) => e.status === 'done' || e.status === 'not_done');
        await mirrorStreaks(tx, input.memberId, {
          currentStreak: input.currentStreak,
          longestStreak: input.longestStreak,
          answeredDate: answered ? input.localDate : null,
        });
      });
    },

    /** Mirrors a goal (and its plan) from the workflow; idempotent upsert. */
    async storeGoal(input: { memberId: string; goal: GoalView }): Promise<void> {
      const { goal } = input;
      assertStorable('title', goal.title);
      for (const [i, line] of [
        ...(goal.plan?.milestones ?? []),
        ...(goal.plan?.dailyHabits ?? []),
        goal.plan?.weeklyTarget,
      ].entries())
        assertStorable(`plan[${i}]`, line);
      const values = {
        title: goal.title,
        cadence: goal.cadence as unknown as Record<string, unknown>,
        status: goal.status,
        plan: goal.plan as unknown as Record<string, unknown> | null,
        planSource: goal.planSource,
        updatedAt: new Date(),
      };
      await db
        .insert(goals)
        .values({ memberId: input.memberId, goalId: goal.id, createdOn: goal.createdOn, ...values })
        .onConflictDoUpdate({ target: [goals.memberId, goals.goalId], set: values });
    },

    /** A risk change: the member row's level and one event per member, day and level (idempotent). */
    async recordRiskChange(change: RiskChange): Promise<void> {
      await db.transaction(async (tx) => {
        await tx
          .insert(riskEvents)
          .values({
            memberId: change.memberId,
            fromLevel: change.from,
            toLevel: change.to,
            localDate: change.localDate,
            adherence7: change.adherence7,
            consecutiveMisses: change.consecutiveMisses,
          })
          .onConflictDoNothing();
        await setRiskLevel(tx, change.memberId, change.to);
      });
    },

    /**
     * The member confirmed (or the workflow otherwise changed the lifecycle status). With `confirmedByInboundId`
     * (the member's YES), the double opt-in goes into the consent ledger with its evidence first.
     */
    async setMemberStatus(input: {
      memberId: string;
      status: 'active' | 'pending_confirmation';
      confirmedByInboundId?: number;
    }): Promise<void> {
      if (input.confirmedByInboundId !== undefined)
        await recordMemberOptIn(db, { memberId: input.memberId, inboundId: input.confirmedByInboundId });
      await setMemberStatus(db, input.memberId, input.status);
    },
  };
}
