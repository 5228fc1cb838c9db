import { createRoute, z } from '@hono/zod-openapi';
import type { AppDeps } from '../deps.js';
import { dependencyCheck, READY_TIMEOUT_MS } from '../dependency-check.js';
import { createRouter, jsonResponse } from '../openapi.js';

// The check itself lives in api/dependency-check.ts (the probe thread, api/probe-thread.ts, runs it too).
export { CHECK_FRESH_MS, dependencyCheck, READY_TIMEOUT_MS } from '../dependency-check.js';

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
