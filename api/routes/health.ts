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

export function healthRouter({ db, temporal }: AppDeps) {
  return createRouter().openapi(healthRoute, async (c) => {
    const [postgres, temporalStatus] = await Promise.all([
      probe(() => db.execute(sql`select 1`)),
      probe(() => temporal.workflowService.getSystemInfo({})),
    ]);
    const body = {
      status: postgres.ok && temporalStatus.ok ? 'ok' : 'degraded',
      postgres,
      temporal: temporalStatus,
    } as const;
    return body.status === 'ok' ? c.json(body, 200) : c.json(body, 503);
  });
}
