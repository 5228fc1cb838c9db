/**
 * The dependency check behind `/health` and `/readyz`, on the API's port (api/routes/health.ts) and on the probe
 * port (api/probe-thread.ts): PostgreSQL `select 1` and Temporal `GetSystemInfo`, each within a deadline, shared
 * by every request of one event loop. No Hono or OpenAPI here: the probe thread loads only this.
 */
import { sql } from 'drizzle-orm';

/** What the check calls: the API's own `db` and `temporal`, or the probe thread's small connections. */
export interface CheckedDependencies {
  db: { execute(query: ReturnType<typeof sql>): PromiseLike<unknown> };
  temporal: { workflowService: { getSystemInfo(request: object): PromiseLike<unknown> } };
}

export interface ProbeResult {
  ok: boolean;
  error?: string;
}

export interface Dependencies {
  status: 'ok' | 'degraded';
  postgres: ProbeResult;
  temporal: ProbeResult;
}

async function probe(fn: () => PromiseLike<unknown>, timeoutMs: number): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      }),
    ]);
    return { ok: true };
  } catch (err) {
    // The probes carry no values (`select 1`, system info), so their errors quote none.
    return { ok: false, error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

async function dependencies({ db, temporal }: CheckedDependencies, timeoutMs: number): Promise<Dependencies> {
  const [postgres, temporalStatus] = await Promise.all([
    probe(() => db.execute(sql`select 1`), timeoutMs),
    probe(() => temporal.workflowService.getSystemInfo({}), timeoutMs),
  ]);
  return {
    status: postgres.ok && temporalStatus.ok ? 'ok' : 'degraded',
    postgres,
    temporal: temporalStatus,
  };
}

/** A check result is answered without asking again for this long after the check started. */
export const CHECK_FRESH_MS = 1_000;

/** Readiness answers within this, whatever the dependencies do (orchestrators time probes out at ~1 s). */
export const READY_TIMEOUT_MS = 800;

/**
 * The dependency check behind `/health` and `/readyz`, shared by every request of one process: at most one check
 * in flight, and a check at most every CHECK_FRESH_MS while requests come in (none when nobody asks).
 * - A result younger than CHECK_FRESH_MS is answered as it is.
 * - An older one is still answered at once while a new check runs in the background, as long as it is younger
 *   than CHECK_FRESH_MS + the check's deadline (+ 200 ms): a prober asking at least once a second never waits,
 *   and a dependency that goes down is reported within CHECK_FRESH_MS + the deadline (1.8 s for `/readyz`).
 * - Without a result that recent (the first request, or after a quiet spell) the request waits for the check,
 *   which answers within its deadline whatever the dependencies do.
 */
export function dependencyCheck(deps: CheckedDependencies, timeoutMs: number, now: () => number = Date.now) {
  const staleMs = CHECK_FRESH_MS + timeoutMs + 200;
  let last: { startedAt: number; result: Dependencies } | undefined;
  let inFlight: Promise<Dependencies> | undefined;
  const run = () => {
    if (!inFlight) {
      const startedAt = now();
      inFlight = dependencies(deps, timeoutMs).then((result) => {
        last = { startedAt, result };
        inFlight = undefined;
        return result;
      });
    }
    return inFlight;
  };
  return (): Promise<Dependencies> | Dependencies => {
    const age = last ? now() - last.startedAt : Infinity;
    if (age < CHECK_FRESH_MS) return last!.result;
    const next = run();
    return age < staleMs ? last!.result : next;
  };
}
