import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { AppDeps } from '../app.js';

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
    return { ok: false, error: (err as Error).message };
  }
}

export function healthRouter({ db, temporal }: AppDeps) {
  return new Hono().get('/', async (c) => {
    const [postgres, temporalStatus] = await Promise.all([
      probe(() => db.execute(sql`select 1`)),
      probe(() => temporal.workflowService.getSystemInfo({})),
    ]);
    const ok = postgres.ok && temporalStatus.ok;
    return c.json({ status: ok ? 'ok' : 'degraded', postgres, temporal: temporalStatus }, ok ? 200 : 503);
  });
}
