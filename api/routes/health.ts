import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { AppDeps } from '../deps.js';
import { createRouter, jsonResponse } from '../openapi.js';

async function probe(
  fn: () => Promise<unknown>,
  timeoutMs: number,
): Promise<{ ok: boolean; error?: string }> {
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs).unref(),
      ),
    ]);
    return { ok: true };
  } catch (err) {
    // The probes carry no values (`select 1`, system info), so their errors quote none.
    return { ok: false, error: (err as Error).message };
  }
}

const Probe = z.object({ ok: z.boolean(), error: z.string().optional() });
const Health = z
  .object({ status: z.enum(['ok', 'degraded']), postgres: Probe, temporal: Probe })
  .openapi('Health');

const healthRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['Operations'],
  summary: 'Liveness of PostgreSQL and Temporal (no API key needed; checked at most once a second)',
  security: [],
  responses: {
    200: jsonResponse(Health, 'Both answer'),
    503: jsonResponse(Health, 'One of them does not'),
  },
});

type Dependencies = {
  status: 'ok' | 'degraded';
  postgres: z.infer<typeof Probe>;
  temporal: z.infer<typeof Probe>;
};

async function dependencies({ db, temporal }: AppDeps, timeoutMs: number): Promise<Dependencies> {
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
export function dependencyCheck(deps: AppDeps, timeoutMs: number, now: () => number = Date.now) {
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

/** `/health` keeps its 3 s per dependency (README); `/readyz` has READY_TIMEOUT_MS. */
const HEALTH_TIMEOUT_MS = 3_000;

export function healthRouter(deps: AppDeps) {
  const check = dependencyCheck(deps, HEALTH_TIMEOUT_MS);
  return createRouter().openapi(healthRoute, async (c) => {
    const body = await check();
    return body.status === 'ok' ? c.json(body, 200) : c.json(body, 503);
  });
}

// ---- orchestrator probes (no API key; not counted by the rate limits)

const Live = z.object({ status: z.literal('ok') }).openapi('Live');

const liveRoute = createRoute({
  method: 'get',
  path: '/livez',
  tags: ['Operations'],
  summary: 'Liveness: the process answers (touches no dependency, so a slow database never restarts it)',
  security: [],
  responses: { 200: jsonResponse(Live, 'The process is alive') },
});

/** Readiness answers within this, whatever the dependencies do (orchestrators time probes out at ~1 s). */
export const READY_TIMEOUT_MS = 800;

const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['Operations'],
  summary: `Readiness: PostgreSQL and Temporal answer within ${READY_TIMEOUT_MS} ms (checked at most once a second; send traffic here)`,
  security: [],
  responses: {
    200: jsonResponse(Health, 'Ready'),
    503: jsonResponse(Health, 'Not ready: a dependency did not answer in time'),
  },
});

export function probesRouter(deps: AppDeps) {
  const check = dependencyCheck(deps, READY_TIMEOUT_MS);
  return createRouter()
    .openapi(liveRoute, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyRoute, async (c) => {
      const body = await check();
      return body.status === 'ok' ? c.json(body, 200) : c.json(body, 503);
    });
}
