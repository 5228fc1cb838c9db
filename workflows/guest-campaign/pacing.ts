/**
 * How campaigns running at the same time share one sender (pure). Max-min fairness ("water filling"): every
 * running campaign gets an equal share of the sender's MPS, except that one whose own rate is lower keeps only
 * its rate and its unused part is shared by the others. So three campaigns on a 100 MPS sender get 33.3 each;
 * with one capped at 10, the other two get 45 each. The shares never add up to more than the sender's MPS.
 */
export interface RunningCampaign {
  id: string;
  /** The campaign's own rate limit (segments/s), or null for "as fast as the sender allows". */
  rateMps: number | null;
}

/** Each running campaign's share of `senderMps` (segments/s), by campaign id. */
export function fairShares(senderMps: number, running: readonly RunningCampaign[]): Map<string, number> {
  const shares = new Map<string, number>();
  // Ascending by own rate (no rate = unlimited last), then by id so the result does not depend on input order.
  const queue = [...running].sort(
    (a, b) => (a.rateMps ?? Infinity) - (b.rateMps ?? Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
  let left = senderMps;
  for (let i = 0; i < queue.length; i++) {
    const c = queue[i]!;
    const equal = left / (queue.length - i);
    const share = Math.min(c.rateMps ?? Infinity, equal);
    shares.set(c.id, share);
    left -= share;
  }
  return shares;
}

/**
 * The rate this campaign sends at now: its fair share among the running campaigns (itself included, even when
 * the list read from Postgres does not show it yet), never above its own rate.
 */
export function campaignRate(
  senderMps: number,
  self: RunningCampaign,
  running: readonly RunningCampaign[],
): number {
  const all = running.some((c) => c.id === self.id) ? running : [...running, self];
  return fairShares(senderMps, all).get(self.id)!;
}

/** Lowest rate an operator may set (segments/s). */
export const MIN_CAMPAIGN_RATE = 0.1;
/** The most SMS_MPS allows (worker/config.ts): a campaign's highest rate when the sender's MPS is not known. */
export const MAX_SENDER_MPS = 1000;

/**
 * A campaign run's send shape (when its input gives none): guests per send activity, and texts each activity
 * has in flight at once. With the workflow's 4 lanes that is 400 guests per round and 16 texts in flight —
 * enough to keep a 100 MPS sender's bucket full when one text takes up to ~0.4 s of database and provider round
 * trips, at about 0.07 history events per text (an activity's 3 events and a workflow task's 3 per 100 texts,
 * plus the round's query of due guests).
 */
export const THROUGHPUT = { batchSize: 100, sendConcurrency: 4 } as const;
