/**
 * A/B variants of a campaign's text: 2–4 templates with weights, each guest assigned stably — by a hash of the
 * campaign id and the guest id, never at random at send time — so a retried, resumed or resent guest always gets
 * the same variant. `splitByWeights` assigns a whole list at once (meant for when the campaign's recipients are
 * prepared, stored per recipient): guests ranked by that hash, cut at the weights — exact to one guest.
 * `assignVariant` is the one-guest form (a guest added later): the hash's point on the weights, so the split
 * holds only statistically. Pure (no Node imports): usable from workflow code too.
 * Campaigns use `splitByWeights` when their recipients are prepared (db/campaigns.ts) and store the variant per
 * recipient; `assignVariant` places a guest whose row came later.
 */

export const MIN_VARIANTS = 2;
/** One A/B variant of a campaign: its template and its whole-number weight (1–100). */
export interface CampaignVariant {
  template: string;
  weight: number;
}

export const MAX_VARIANTS = 4;

/** FNV-1a over UTF-16 code units, finished with murmur3's fmix32 so nearby ids spread over the whole range. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Why a list of weights cannot be used, or null. */
export function weightsProblem(weights: readonly number[]): string | null {
  if (weights.length < MIN_VARIANTS || weights.length > MAX_VARIANTS)
    return `give ${MIN_VARIANTS} to ${MAX_VARIANTS} variants`;
  if (!weights.every((w) => Number.isInteger(w) && w >= 1 && w <= 100))
    return 'each weight must be a whole number from 1 to 100';
  return null;
}

/** The 0-based variant of this guest in this campaign, with probability weight ÷ total weight. */
export function assignVariant(campaignId: string, guestId: string, weights: readonly number[]): number {
  const problem = weightsProblem(weights);
  if (problem) throw new RangeError(problem);
  const total = weights.reduce((a, b) => a + b, 0);
  // A point in [0, total): the hash's fraction of 2^32 scaled to the total weight.
  const point = (hash32(`${campaignId}:${guestId}`) / 2 ** 32) * total;
  let upTo = 0;
  for (const [i, w] of weights.entries()) {
    upTo += w;
    if (point < upTo) return i;
  }
  return weights.length - 1;
}

/**
 * Variants for a whole list: guests in the order of hash32(`<campaign>:<guest>`) (ties by id), variant i for the
 * ranks from floor(n × (w0+…+w(i-1)) / W) on. Each variant gets its weight's share of the n guests, rounded down
 * or up (never off by a whole guest), and who gets which depends only on the campaign, the guests and the weights.
 */
export function splitByWeights(
  campaignId: string,
  guestIds: readonly string[],
  weights: readonly number[],
): Map<string, number> {
  const problem = weightsProblem(weights);
  if (problem) throw new RangeError(problem);
  const total = weights.reduce((a, b) => a + b, 0);
  const ranked = guestIds
    .map((id) => ({ id, h: hash32(`${campaignId}:${id}`) }))
    .sort((a, b) => a.h - b.h || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const out = new Map<string, number>();
  let variant = 0;
  let cum = weights[0]!;
  ranked.forEach(({ id }, rank) => {
    while (variant < weights.length - 1 && rank >= Math.floor((ranked.length * cum) / total)) {
      variant++;
      cum += weights[variant]!;
    }
    out.set(id, variant);
  });
  return out;
}
