/**
 * The one pagination rule of every list route: newest first, `limit` rows per page, and `nextBefore` — the cursor
 * of the last row — when the page is full (pass it as `before` to get the next page), else null.
 */
export interface Page<T, C> {
  items: T[];
  nextBefore: C | null;
}

export function page<T, C>(rows: T[], limit: number, cursorOf: (last: T) => C): Page<T, C> {
  return {
    items: rows,
    nextBefore: rows.length >= limit && rows.length > 0 ? cursorOf(rows[rows.length - 1]!) : null,
  };
}
