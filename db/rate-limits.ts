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

/** The longest window any limit may use: pruning keeps every window that may still be open. */
export const MAX_WINDOW_SECONDS = 86_400;

/** Counts one request in `bucket`'s current window of `windowSeconds`; allowed while the count ≤ `limit`. */
export async function hitRateLimit(
  db: Db,
  bucket: string,
  limit: number,
  windowSeconds: number,
): Promise<RateLimitResult> {
  if (windowSeconds > MAX_WINDOW_SECONDS)
    throw new Error(`rate-limit windows are at most ${MAX_WINDOW_SECONDS} s`);
  const rows = await db.execute<{ count: number; retry_after: number }>(sql`
    insert into rate_limit_windows as w (bucket, window_start, count)
    values (${bucket}, to_timestamp(floor(extract(epoch from now()) / ${windowSeconds}) * ${windowSeconds}), 1)
    on conflict (bucket, window_start) do update set count = w.count + 1
    returning w.count,
      ceil(extract(epoch from w.window_start) + ${windowSeconds} - extract(epoch from now()))::int as retry_after`);
  const row = rows[0]!;
  // Now and then, forget windows that ended long ago (any process may; the delete is idempotent).
  if (Math.random() < 0.01) await pruneEndedWindows(db);
  return {
    allowed: row.count <= limit,
    count: row.count,
    retryAfterSeconds: Math.max(1, row.retry_after),
  };
}

/**
 * Deletes windows that ENDED over an hour ago, whatever limit they belong to: the rows do not record their
 * length, so only those that started more than the longest window (plus an hour) ago go. (Pruning by the
 * caller's own window once let a 15-minute limit delete an open day window, resetting the day's count.)
 */
export async function pruneEndedWindows(db: Db): Promise<void> {
  await db.execute(
    sql`delete from rate_limit_windows where window_start < now() - make_interval(secs => ${MAX_WINDOW_SECONDS + 3600})`,
  );
}
