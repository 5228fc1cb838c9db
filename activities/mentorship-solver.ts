/**
 * The mentorship optimiser: a capacitated assignment (each mentee at most one mentor, each mentor at most their
 * free slots, only pairs scoring at least the fit threshold) that maximises the total score, solved as a linear
 * programme by HiGHS (the `highs` WebAssembly build). Activity code only — never imported by workflow code.
 *
 * The constraint matrix of a bipartite assignment is totally unimodular, so the simplex optimum is integral; the
 * row duals are returned as a certificate (u_mentee + v_mentor ≥ score for every pair, Σu + Σ free·v = total),
 * which callers and tests can check without trusting the solver. Should a solution ever come back fractional,
 * the same model is solved again as a MIP.
 */
import * as highsPackage from 'highs';
import type { Highs } from 'highs';
import {
  score,
  type MenteeProfile,
  type MentorProfile,
  type Scored,
  type WeightSet,
} from '../workflows/mentorship-match/score.js';

export interface AssignmentPair {
  /** Index into the mentees. */
  mentee: number;
  /** Index into `capacities`. */
  mentor: number;
  score: number;
}

export interface AssignmentProblem {
  menteeCount: number;
  /** Free slots per mentor (≥ 0). */
  capacities: number[];
  /** Candidate pairs; those scoring below `minScore` are left out. */
  pairs: AssignmentPair[];
  /** The fit threshold: a pair below it is never assigned. */
  minScore: number;
}

export interface AssignmentResult {
  /** Per mentee: the mentor index assigned, or null. */
  mentorOf: Array<number | null>;
  /** Σ score over the assigned pairs. */
  total: number;
  /**
   * The LP dual (null when the MIP fallback ran): an upper bound Σu + Σ capacity·v on any feasible assignment's
   * total; equal to `total` at the optimum.
   */
  certificate: { mentee: number[]; mentor: number[]; bound: number } | null;
  /** `lp` (simplex, integral) or `mip` (the fallback). */
  method: 'lp' | 'mip';
}

/** The package's loader (its ES module default export; its types describe the CommonJS build). */
const loadHighs = (highsPackage as unknown as { default: () => Promise<Highs> }).default;
let highsPromise: Promise<Highs> | null = null;
/** One WebAssembly instance per process, loaded on first use. */
export function highs(): Promise<Highs> {
  highsPromise ??= loadHighs();
  return highsPromise;
}

const EPS = 1e-6;

/** Maximise Σ score·x over the pairs: Σ_mentor x ≤ 1 per mentee, Σ_mentee x ≤ free per mentor, x ≥ 0. */
export async function solveAssignment(p: AssignmentProblem): Promise<AssignmentResult> {
  const pairs = p.pairs.filter(
    (x) =>
      x.score >= p.minScore &&
      x.score > 0 &&
      x.mentee >= 0 &&
      x.mentee < p.menteeCount &&
      x.mentor >= 0 &&
      x.mentor < p.capacities.length &&
      (p.capacities[x.mentor] ?? 0) > 0,
  );
  const none = (): AssignmentResult => ({
    mentorOf: new Array<number | null>(p.menteeCount).fill(null),
    total: 0,
    certificate: {
      mentee: new Array<number>(p.menteeCount).fill(0),
      mentor: new Array<number>(p.capacities.length).fill(0),
      bound: 0,
    },
    method: 'lp',
  });
  if (pairs.length === 0) return none();

  const h = await highs();
  const n = pairs.length;
  const rows = p.menteeCount + p.capacities.length;
  // CSC: column k (pair k) has a 1 in its mentee's row and its mentor's row.
  const starts = new Int32Array(n + 1);
  const indices = new Int32Array(2 * n);
  const values = new Float64Array(2 * n).fill(1);
  const cost = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const x = pairs[k]!;
    starts[k + 1] = 2 * (k + 1);
    indices[2 * k] = x.mentee;
    indices[2 * k + 1] = p.menteeCount + x.mentor;
    cost[k] = x.score;
  }
  const rowUpper = new Float64Array(rows);
  rowUpper.fill(1, 0, p.menteeCount);
  p.capacities.forEach((c, j) => (rowUpper[p.menteeCount + j] = Math.max(0, Math.floor(c))));
  const model = (mip: boolean) => ({
    numCols: n,
    numRows: rows,
    sense: h.constants.objectiveSense.maximize,
    colCost: cost,
    colLower: new Float64Array(n),
    colUpper: new Float64Array(n).fill(mip ? 1 : h.infinity),
    rowLower: new Float64Array(rows).fill(-h.infinity),
    rowUpper,
    matrix: { format: 'csc' as const, numRows: rows, numCols: n, starts, indices, values },
    ...(mip ? { integrality: new Int32Array(n).fill(1) } : {}),
  });
  const solve = (mip: boolean) =>
    h.withModel(model(mip), (m) => {
      m.options.set({ output_flag: false, ...(mip ? {} : { solver: 'simplex' }) });
      m.run();
      const status = m.getModelStatus();
      if (status !== h.constants.modelStatus.optimal) {
        throw new Error(`HiGHS ended with model status ${status}`);
      }
      return m.getSolution();
    });

  let method: AssignmentResult['method'] = 'lp';
  let sol = solve(false);
  const fractional = Array.from(sol.colValue).some((v) => Math.abs(v - Math.round(v)) > EPS);
  if (fractional) {
    method = 'mip';
    sol = solve(true);
  }
  const mentorOf = new Array<number | null>(p.menteeCount).fill(null);
  let total = 0;
  for (let k = 0; k < n; k++) {
    if (sol.colValue[k]! > 0.5) {
      const x = pairs[k]!;
      mentorOf[x.mentee] = x.mentor;
      total += x.score;
    }
  }
  let certificate: AssignmentResult['certificate'] = null;
  if (method === 'lp') {
    // Row duals of a maximisation with ≤ rows: their magnitude is the shadow price (sign conventions differ).
    const u = Array.from(sol.rowDual.subarray(0, p.menteeCount), (d) => Math.abs(d));
    const v = Array.from(sol.rowDual.subarray(p.menteeCount), (d) => Math.abs(d));
    const bound =
      u.reduce((a, b) => a + b, 0) + v.reduce((a, b, j) => a + b * (rowUpper[p.menteeCount + j] ?? 0), 0);
    certificate = { mentee: u, mentor: v, bound };
  }
  return { mentorOf, total, certificate, method };
}

/**
 * The greedy assignment (best pair first, ties by mentee then mentor index): the baseline the optimiser must
 * never fall below, and the fallback order for a refused assignment.
 */
export function greedyAssignment(p: AssignmentProblem): { mentorOf: Array<number | null>; total: number } {
  const left = p.capacities.map((c) => Math.max(0, Math.floor(c)));
  const mentorOf = new Array<number | null>(p.menteeCount).fill(null);
  let total = 0;
  const sorted = p.pairs
    .filter((x) => x.score >= p.minScore && x.score > 0)
    .sort((a, b) => b.score - a.score || a.mentee - b.mentee || a.mentor - b.mentor);
  for (const x of sorted) {
    if (mentorOf[x.mentee] !== null || (left[x.mentor] ?? 0) <= 0) continue;
    mentorOf[x.mentee] = x.mentor;
    left[x.mentor]!--;
    total += x.score;
  }
  return { mentorOf, total };
}

export interface PlanMentee {
  /** The match id. */
  key: string;
  profile: MenteeProfile;
  /** Mentors this mentee may not get (already offered). */
  exclude?: ReadonlySet<string>;
}

export interface PlanMentor {
  profile: MentorProfile;
  /** Slots the optimiser may fill (capacity less slots held and claimed by others). */
  free: number;
}

export interface PlannedMentee {
  key: string;
  /** The optimiser's pick, then up to `fallbacks` next best mentors (all at or above the threshold). */
  choices: Scored[];
  /** The mentee's best score over every mentor with a free slot (their first choice), or null. */
  firstChoiceScore: number | null;
}

/**
 * Scores every allowed pair with the operator's weights, keeps those at or above `minScore`, and solves the
 * assignment. Each mentee gets the optimiser's pick (if any) first and up to `fallbacks` next best mentors.
 */
export async function planAssignment(input: {
  mentees: PlanMentee[];
  mentors: PlanMentor[];
  weights: WeightSet;
  minScore: number;
  fallbacks: number;
}): Promise<{ planned: PlannedMentee[]; result: AssignmentResult }> {
  const mentors = input.mentors.filter((m) => m.free > 0);
  const scored: Scored[][] = input.mentees.map(() => []);
  const pairs: AssignmentPair[] = [];
  input.mentees.forEach((e, i) => {
    mentors.forEach((m, j) => {
      if (e.exclude?.has(m.profile.mentorId)) return;
      const s = score(e.profile, m.profile, input.weights);
      scored[i]!.push(s);
      if (s.score >= input.minScore) pairs.push({ mentee: i, mentor: j, score: s.score });
    });
  });
  const result = await solveAssignment({
    menteeCount: input.mentees.length,
    capacities: mentors.map((m) => m.free),
    pairs,
    minScore: input.minScore,
  });
  const byOrder = (a: Scored, b: Scored) =>
    b.score - a.score || (a.mentorId < b.mentorId ? -1 : a.mentorId > b.mentorId ? 1 : 0);
  const planned = input.mentees.map((e, i): PlannedMentee => {
    const all = scored[i]!.sort(byOrder);
    const j = result.mentorOf[i];
    const pick = j === null || j === undefined ? null : mentors[j]!.profile.mentorId;
    const rest = all
      .filter((s) => s.mentorId !== pick && s.score >= input.minScore)
      .slice(0, input.fallbacks);
    const picked = pick === null ? [] : all.filter((s) => s.mentorId === pick);
    return {
      key: e.key,
      choices: pick === null ? [] : [...picked, ...rest],
      firstChoiceScore: all[0]?.score ?? null,
    };
  });
  return { planned, result };
}
