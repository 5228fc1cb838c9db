/**
 * Member analytics over check-ins (SQL) with the pure adherence/risk rules of workflows/lib/risk.ts.
 * A member with several goals has one check-in row per goal and day; a day counts as one outcome, as the member
 * workflow counts it: rest when every row is rest, done when every due goal was done, missed when nothing was
 * answered, not done otherwise.
 */
import { sql } from 'drizzle-orm';
import { progressOf, type DayOutcome, type DayStatus } from '../workflows/member/risk.js';
import { addDays, weekStartOf } from '../workflows/lib/time.js';
import type { Db } from './client.js';

/** Weeks (Monday-based) in the progress view. */
const WEEKS = 8;

export async function dayOutcomes(db: Db, memberId: string, from: string, to: string): Promise<DayOutcome[]> {
  const rows = await db.execute<{ local_date: string; status: DayStatus }>(sql`
    select to_char(local_date, 'YYYY-MM-DD') as local_date,
           case when bool_and(status = 'rest') then 'rest'
                when bool_and(status in ('done', 'rest')) then 'done'
                when bool_and(status in ('missed', 'rest')) then 'missed'
                else 'not_done' end as status
    from check_ins
    where member_id = ${memberId} and local_date between ${from}::date and ${to}::date
    group by local_date
    order by local_date desc`);
  return rows.map((r) => ({ localDate: r.local_date, status: r.status }));
}

export async function memberProgress(db: Db, memberId: string, today: string) {
  const member = await db.query.members.findFirst({ where: (m, { eq }) => eq(m.id, memberId) });
  if (!member) return null;
  const outcomes = await dayOutcomes(db, memberId, addDays(today, -89), today);
  // Weekly aggregates, newest first.
  const firstWeek = addDays(weekStartOf(today), -7 * (WEEKS - 1));
  const weeks = new Map<string, { done: number; due: number }>();
  for (const o of outcomes) {
    if (o.localDate < firstWeek) continue;
    const w = weeks.get(weekStartOf(o.localDate)) ?? { done: 0, due: 0 };
    if (o.status !== 'rest') w.due++;
    if (o.status === 'done') w.done++;
    weeks.set(weekStartOf(o.localDate), w);
  }
  return {
    memberId,
    today,
    currentStreak: member.currentStreak,
    longestStreak: member.longestStreak,
    ...progressOf(outcomes, today),
    weeks: [...weeks].sort(([a], [b]) => (a < b ? 1 : -1)).map(([weekStart, w]) => ({ weekStart, ...w })),
  };
}
