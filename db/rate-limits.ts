/**
 * The `rate_limit_windows` table's one writer: fixed-window counters in Postgres, so every API process shares
 * them. One atomic upsert per check, on the database clock.
 */
import { sql } from 'drizzle-orm';
import type { Db } from './client.js';

export interface RateLimitResult {
  allowed: boolean;
  /** Requests counted in this window, this one included. */
  count: number;
  /** Whole seconds until the window ends (≥ 1). */
  retryAfterSeconds: number;
}

/** Counts one request in `bucket`'s current window of `windowSeconds`; allowed while the count ≤ `limit`. */
export async function hitRateLimit(
  db: Db,
  bucket: string,
  limit: number,
  windowSeconds: number,
): Promise<RateLimitResult> {
  const rows = await db.execute<{ count: number; retry_after: number }>(sql`
    insert into rate_limit_windows as w (bucket, window_start, count)
    values (${bucket}, to_timestamp(floor(extract(epoch from now()) / ${windowSeconds}) * ${windowSeconds}), 1)
    on conflict (bucket, window_start) do update set count = w.count + 1
    returning w.count,
      ceil(extract(epoch from w.window_start) + ${windowSeconds} - extract(epoch from now()))::int as retry_after`);
  const row = rows[0]!;
  // Now and then, forget windows that ended long ago (any process may; the delete is idempotent).
  if (Math.random() < 0.01) await pruneEndedWindows(db, windowSeconds);
  return {
    allowed: row.count <= limit,
    count: row.count,
    retryAfterSeconds: Math.max(1, row.retry_after),
  };
}

/**
 * Deletes windows that ENDED over an hour ago — not ones that merely started then: a window longer than an hour
 * that is still open keeps its count.
 */
export async function pruneEndedWindows(db: Db, windowSeconds: number): Promise<void> {
  await db.execute(
    sql`delete from rate_limit_windows where window_start < now() - make_interval(secs => ${windowSeconds + 3600})`,
  );
}
