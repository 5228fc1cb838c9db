/**
 * Cohort matching time (issue 11): the optimiser that assigns a whole mentorship cohort at once
 * (activities/mentorship-solver.ts — every pair scored with the operator's weights, then the capacitated
 * assignment solved as an LP by HiGHS/WebAssembly), on a deterministic population with the score's real inputs
 * (focus tags, languages, zones, weekly windows, capacities with some slots taken). Pure CPU: no Postgres, no
 * Temporal; the cohort workflow adds one reservation update per assigned request after this.
 *
 *   npm run bench -- cohort                                  # 500×200 and 2000×500, 3 runs each
 *   npm run bench -- cohort --sizes 500x200 --runs 5
 *
 * Prints per size: pairs, score time, solve time, total (median of the runs), the assignment's report (assigned,
 * min and median score, share of first choices), whether the LP dual proves it optimal, and peak RSS.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import {
  planAssignment,
  solveAssignment,
  type PlanMentee,
  type PlanMentor,
} from '../activities/mentorship-solver.js';
import { cohortReport, median } from '../workflows/mentorship-cohort/report.js';
import { DEFAULT_WEIGHTS, score, type WeeklyWindow } from '../workflows/mentorship-match/score.js';
import { MIN_FIT_SCORE } from '../workflows/mentorship-match/values.js';

/** A deterministic population of mentees and mentors (the same seed gives the same cohort). */
export function population(
  mentees: number,
  mentors: number,
  seed = 7,
): { mentees: PlanMentee[]; mentors: PlanMentor[] } {
  let s = seed;
  const rnd = () => ((s = (s * 1_103_515_245 + 12_345) % 2_147_483_648), s / 2_147_483_648);
  const pick = <T>(xs: readonly T[], n: number): T[] => {
    const a = [...xs];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a.slice(0, n);
  };
  const TAGS = ['fitness', 'career', 'sleep', 'writing', 'running', 'diet', 'study', 'money'];
  const LANGS = ['en', 'es', 'fr', 'de'];
  const OFFSETS = [-480, -300, 0, 60, 330, 540];
  const windows = (): WeeklyWindow[] =>
    Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => {
      const h = 7 + Math.floor(rnd() * 12);
      const pad = (n: number) => String(n).padStart(2, '0');
      return { weekday: Math.floor(rnd() * 7), from: `${pad(h)}:00`, to: `${pad(h + 2)}:00` };
    });
  return {
    mentees: Array.from({ length: mentees }, (_, i) => ({
      key: `match-${i}`,
      profile: {
        focusAreas: pick(TAGS, 1 + Math.floor(rnd() * 3)),
        languages: pick(LANGS, 1 + Math.floor(rnd() * 2)),
        utcOffsetMinutes: OFFSETS[Math.floor(rnd() * OFFSETS.length)]!,
        availability: rnd() < 0.2 ? [] : windows(),
      },
    })),
    mentors: Array.from({ length: mentors }, (_, j) => {
      const capacity = 1 + Math.floor(rnd() * 4);
      const activeMentees = Math.floor(rnd() * capacity);
      return {
        profile: {
          mentorId: `mentor-${String(j).padStart(4, '0')}`,
          expertise: pick(TAGS, 2 + Math.floor(rnd() * 3)),
          languages: pick(LANGS, 1 + Math.floor(rnd() * 2)),
          utcOffsetMinutes: OFFSETS[Math.floor(rnd() * OFFSETS.length)]!,
          availability: windows(),
          capacity,
          activeMentees,
        },
        free: capacity - activeMentees,
      };
    }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '500x200,2000x500' },
      runs: { type: 'string', default: '3' },
    },
  });
  const runs = Number(values.runs);
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}, load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
  );
  let peakRss = process.memoryUsage().rss;
  for (const size of values.sizes.split(',')) {
    const [m, n] = size.split('x').map(Number) as [number, number];
    const pop = population(m, n);
    const scoreMs: number[] = [];
    const solveMs: number[] = [];
    const totalMs: number[] = [];
    let line = '';
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const open = pop.mentors.filter((x) => x.free > 0);
      const pairs = pop.mentees.flatMap((e, i) =>
        open.map((x, j) => ({ mentee: i, mentor: j, score: score(e.profile, x.profile).score })),
      );
      const t1 = performance.now();
      const solved = await solveAssignment({
        menteeCount: m,
        capacities: open.map((x) => x.free),
        pairs,
        minScore: MIN_FIT_SCORE,
      });
      const t2 = performance.now();
      scoreMs.push(t1 - t0);
      solveMs.push(t2 - t1);
      // The whole plan as the cohort activity runs it (scores, solve, fallback lists), timed end to end.
      const t3 = performance.now();
      const { planned } = await planAssignment({
        ...pop,
        weights: DEFAULT_WEIGHTS,
        minScore: MIN_FIT_SCORE,
        fallbacks: 3,
      });
      totalMs.push(performance.now() - t3);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const report = cohortReport(
        planned.map((x) => ({
          score: x.choices[0]?.score ?? null,
          firstChoice: x.choices[0] !== undefined && x.choices[0].score >= (x.firstChoiceScore ?? Infinity),
          fallback: false,
        })),
      );
      const optimal = solved.certificate !== null && solved.total >= solved.certificate.bound - 1e-5;
      line =
        `pairs ${pairs.length}, fitting ${pairs.filter((p) => p.score >= MIN_FIT_SCORE).length}, ` +
        `slots ${open.reduce((a, x) => a + x.free, 0)}; assigned ${report.assigned}/${m}, ` +
        `min ${report.minScore}, median ${report.medianScore}, first choices ${report.firstChoiceShare}, ` +
        `total ${report.totalScore}, ${solved.method}, optimal by dual: ${optimal}`;
    }
    const med = (xs: number[]) => Math.round(median(xs)!);
    console.log(
      `${m} mentees × ${n} mentors: plan (score + solve) median ${med(totalMs)} ms ` +
        `[score ${med(scoreMs)} ms, solve ${med(solveMs)} ms], runs ${totalMs.map((x) => Math.round(x)).join('/')} ms; ${line}`,
    );
  }
  console.log(`peak RSS ${Math.round(peakRss / 2 ** 20)} MiB`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
}
