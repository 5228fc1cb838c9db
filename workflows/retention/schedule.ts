/** When the daily purge runs. Pure. */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The next moment strictly after `now` at `hourUtc`:00 UTC. */
export function nextPurgeAt(now: Date, hourUtc: number): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hourUtc);
  return new Date(today > now.getTime() ? today : today + DAY_MS);
}

/** The cutoff for a class kept `days` days: everything created before it is purged. */
export function cutoff(asOf: Date, days: number): Date {
  return new Date(asOf.getTime() - days * DAY_MS);
}
