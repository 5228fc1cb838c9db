/** Member analytics over check-ins (SQL) with the pure adherence/risk rules of workflows/lib/risk.ts. */
import { and, desc, eq, gte, sql } from 'drizzle-orm';
import { progressOf, type DayOutcome } from '../workflows/lib/risk.js';
import { addDays } from '../workflows/lib/time.js';
import type { Db } from './client.js';
import { checkIns, members } from './schema.js';

export async function memberProgress(db: Db, memberId: string, today: string) {
  const member = await db.query.members.findFirst({ where: eq(members.id, memberId) });
  if (!member) return null;
  const rows = await db
    .select({ localDate: checkIns.localDate, status: checkIns.status })
    .from(checkIns)
    .where(
      and(
        eq(checkIns.memberId, memberId),
        eq(checkIns.goalId, 0),
        gte(checkIns.localDate, addDays(today, -89)),
      ),
    )
    .orderBy(desc(checkIns.localDate));
  const outcomes: DayOutcome[] = rows.map((r) => ({ localDate: r.localDate, status: r.status }));
  // Weekly aggregates (weeks starting Monday), newest first, last 8 weeks.
  const weekly = await db.execute<{ week_start: string; done: number; due: number }>(sql`
    select to_char(date_trunc('week', local_date::timestamp), 'YYYY-MM-DD') as week_start,
           count(*) filter (where status = 'done')::int as done,
           count(*) filter (where status <> 'rest')::int as due
    from check_ins
    where member_id = ${memberId} and goal_id = 0 and local_date >= ${addDays(today, -55)}::date
    group by 1 order by 1 desc`);
  return {
    memberId,
    today,
    currentStreak: member.currentStreak,
    longestStreak: member.longestStreak,
    ...progressOf(outcomes, today),
    weeks: weekly.map((w) => ({ weekStart: w.week_start, done: Number(w.done), due: Number(w.due) })),
  };
}
