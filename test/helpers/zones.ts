/**
 * A zone whose local time is around noon now, so that no text waits for a local window (quiet hours, the
 * marketing window 08:00–21:00) in a test on the real clock, whenever CI runs.
 */
export function noonZone(now = new Date()): string {
  const offset = 12 - now.getUTCHours(); // local = UTC + offset; -11 … +12
  if (offset === 0) return 'Etc/UTC';
  // IANA's Etc zones have the POSIX sign: Etc/GMT-3 is UTC+3.
  return offset > 0 ? `Etc/GMT-${offset}` : `Etc/GMT+${-offset}`;
}
