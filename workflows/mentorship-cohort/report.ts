/** A cohort's assignment report (pure): minimum and median score, share of first choices. */

export interface CohortReport {
  requests: number;
  assigned: number;
  /** Requests sent to the operator queue. */
  unplaced: number;
  /** Σ score of the assigned pairs (4 decimals). */
  totalScore: number;
  minScore: number | null;
  medianScore: number | null;
  /** Assigned requests whose mentor scores as high as their best, over the assigned requests (0–1). */
  firstChoiceShare: number | null;
  /** Assigned requests placed with a next best mentor after capacity refused the optimiser's pick. */
  fallbacks: number;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function cohortReport(
  rows: Array<{ score: number | null; firstChoice: boolean; fallback: boolean }>,
): CohortReport {
  const placed = rows.filter(
    (r): r is { score: number; firstChoice: boolean; fallback: boolean } => r.score !== null,
  );
  const scores = placed.map((r) => r.score);
  const med = median(scores);
  return {
    requests: rows.length,
    assigned: placed.length,
    unplaced: rows.length - placed.length,
    totalScore: round4(scores.reduce((a, b) => a + b, 0)),
    minScore: scores.length === 0 ? null : Math.min(...scores),
    medianScore: med === null ? null : round4(med),
    firstChoiceShare:
      placed.length === 0 ? null : round4(placed.filter((r) => r.firstChoice).length / placed.length),
    fallbacks: placed.filter((r) => r.fallback).length,
  };
}
