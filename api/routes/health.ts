import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { AppDeps } from '../deps.js';
import { createRouter, jsonResponse } from '../openapi.js';

async function probe(
  fn: () => Promise<unknown>,
  timeoutMs = 3_000,
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
  summary: 'Liveness of PostgreSQL and Temporal (no API key needed)',
  security: [],
  responses: {
    200: jsonResponse(Health, 'Both answer'),
    503: jsonResponse(Health, 'One of them does not'),
  },
});

async function dependencies({ db, temporal }: AppDeps, timeoutMs?: number) {
  const [postgres, temporalStatus] = await Promise.all([
    probe(() => db.execute(sql`select 1`), timeoutMs),
    probe(() => temporal.workflowService.getSystemInfo({}), timeoutMs),
  ]);
  return {
    status: postgres.ok && temporalStatus.ok ? 'ok' : 'degraded',
    postgres,
    temporal: temporalStatus,
  } as const;
}

export function healthRouter(deps: AppDeps) {
  return createRouter().openapi(healthRoute, async (c) => {
    const body = await dependencies(deps);
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
  summary: `Readiness: PostgreSQL and Temporal answer within ${READY_TIMEOUT_MS} ms (send traffic here)`,
  security: [],
  responses: {
    200: jsonResponse(Health, 'Ready'),
    503: jsonResponse(Health, 'Not ready: a dependency did not answer in time'),
  },
});

export function probesRouter(deps: AppDeps) {
  return createRouter()
    .openapi(liveRoute, (c) => c.json({ status: 'ok' as const }, 200))
    .openapi(readyRoute, async (c) => {
      const body = await dependencies(deps, READY_TIMEOUT_MS);
      return body.status === 'ok' ? c.json(body, 200) : c.json(body, 503);
    });
}
