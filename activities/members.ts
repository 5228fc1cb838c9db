import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { checkIns, members } from '../db/schema.js';

export interface RecordCheckInInput {
  memberId: string;
  goalId: number;
  localDate: string;
  status: 'done' | 'not_done' | 'missed' | 'rest';
  reflection: string | null;
  mood: number | null;
  inboundMessageId: number | null;
  currentStreak: number;
  longestStreak: number;
}

export function createMemberActivities(deps: { db: Db }) {
  const { db } = deps;
  return {
    /** Idempotent: one row per member, goal and local date; the streak columns mirror the workflow's state. */
    async recordCheckIn(input: RecordCheckInInput): Promise<void> {
      await db.transaction(async (tx) => {
        const values = {
          memberId: input.memberId,
          goalId: input.goalId,
          localDate: input.localDate,
          status: input.status,
          reflection: input.reflection,
          mood: input.mood,
          inboundMessageId: input.inboundMessageId,
        };
        await tx
          .insert(checkIns)
          .values(values)
          .onConflictDoUpdate({
            target: [checkIns.memberId, checkIns.goalId, checkIns.localDate],
            set: {
              status: values.status,
              reflection: values.reflection,
              mood: values.mood,
              inboundMessageId: values.inboundMessageId,
            },
          });
        await tx
          .update(members)
          .set({
            currentStreak: input.currentStreak,
            longestStreak: input.longestStreak,
            lastCheckInDate: input.status === 'missed' ? undefined : input.localDate,
            updatedAt: new Date(),
          })
          .where(eq(members.id, input.memberId));
      });
    },
  };
}
