/**
 * The anonymised crew pulse: k-anonymity with complementary suppression across time. Pure (workflow code).
 *
 * Every published aggregate is a sum over a set of *cells*: one cell is one member's answer for one challenge
 * day (`<memberId>|<day index>`). A release publishes, for its cells, how many answered, how many were done and
 * the energy scores' count and sum. Two releases can be subtracted: what the difference describes is exactly the
 * cells in their symmetric difference. So a candidate is released only when
 *   - its cells belong to at least k distinct members, and
 *   - for EVERY earlier release, the symmetric difference of the two cell sets is empty (the same cells: nothing
 *     new is learnt) or belongs to at least k distinct members.
 * This covers today vs yesterday's running total after a member joined or left (the difference is today's cells),
 * a day vs its week, and a subgroup vs the crew. A withheld candidate is not added to the ledger (nothing of it
 * was published), so it cannot be used for a later difference either.
 *
 * An erased member's cells leave the ledger (erasure.ts), while the release's figures still count them: a release
 * that lists fewer cells than its `responded` has lost at least one member. Their cells can be in no later
 * candidate (their answers are gone), so they are all in the difference: it is counted as the members of the
 * listed cells plus one. That is never more than the truth (two erased members count as one), so a release is
 * withheld whenever the old count would have withheld it, and the difference is never taken for empty.
 */

/** The smallest k the product allows: a crew may only ask for more. */
export const MIN_K = 5;

export interface PulseAnswer {
  memberId: string;
  /** 0-based challenge day. */
  day: number;
  done: boolean;
  /** 1–5, optional. */
  energy: number | null;
}

export interface PulseFigures {
  responded: number;
  done: number;
  /** Energy scores given, and their sum (the average is sum ÷ count). */
  energyCount: number;
  energySum: number;
}

export interface Release {
  /** e.g. `day:3` (one challenge day) or `total:3` (days 0..3 together). */
  label: string;
  /** Sorted cell keys. */
  cells: string[];
  figures: PulseFigures;
}

export type PulseDecision =
  | { published: true; release: Release }
  | {
      published: false;
      label: string;
      reason: 'below_k' | 'difference_below_k';
      /** The earlier release whose difference would have described fewer than k members. */
      against?: string;
    };

export const cellKey = (a: Pick<PulseAnswer, 'memberId' | 'day'>): string => `${a.memberId}|${a.day}`;
const memberOfCell = (cell: string): string => cell.slice(0, cell.lastIndexOf('|'));

export function figuresOf(answers: readonly PulseAnswer[]): PulseFigures {
  const withEnergy = answers.filter((a) => a.energy !== null);
  return {
    responded: answers.length,
    done: answers.filter((a) => a.done).length,
    energyCount: withEnergy.length,
    energySum: withEnergy.reduce((s, a) => s + a.energy!, 0),
  };
}

/** Distinct members of a set of cells. */
export function membersOfCells(cells: Iterable<string>): number {
  return new Set([...cells].map(memberOfCell)).size;
}

/** Whether a release lost cells that its figures count (an erased member's): at least one member gone. */
export const lostCells = (r: Release): boolean => r.figures.responded > r.cells.length;

/** The cells in exactly one of the two sets. */
export function symmetricDifference(a: readonly string[], b: readonly string[]): string[] {
  const sa = new Set(a);
  const sb = new Set(b);
  return [...a.filter((c) => !sb.has(c)), ...b.filter((c) => !sa.has(c))];
}

/**
 * Decide a candidate aggregate against the ledger of earlier releases. Returns the decision; the caller appends
 * `release` to its ledger when published.
 */
export function decideRelease(
  label: string,
  answers: readonly PulseAnswer[],
  ledger: readonly Release[],
  k: number,
): PulseDecision {
  const cells = [...new Set(answers.map(cellKey))].sort();
  if (membersOfCells(cells) < k) return { published: false, label, reason: 'below_k' };
  for (const earlier of ledger) {
    const diff = membersOfCells(symmetricDifference(cells, earlier.cells)) + (lostCells(earlier) ? 1 : 0);
    if (diff > 0 && diff < k)
      return { published: false, label, reason: 'difference_below_k', against: earlier.label };
  }
  return { published: true, release: { label, cells, figures: figuresOf(answers) } };
}

/** k for a crew: at least MIN_K; it may be raised (never lowered) and only ever upwards. */
export function effectiveK(requested: number | undefined): number {
  return Math.max(MIN_K, Math.floor(requested ?? MIN_K));
}
