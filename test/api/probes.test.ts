/**
 * Liveness and readiness for orchestrators (issue 13): /livez touches no dependency; /readyz answers within its
 * deadline whatever the dependencies do. Fakes stand in for Postgres and Temporal to make them hang or fail.
 */
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/client.js';
import { READY_TIMEOUT_MS } from '../../api/routes/health.js';
import { testApp } from '../helpers/app.js';

const never = () => new Promise<never>(() => {});
const fakes = (postgres: () => Promise<unknown>, temporal: () => Promise<unknown>) =>
  testApp(
    { execute: postgres } as unknown as Db,
    {
      workflowService: { getSystemInfo: temporal },
    } as unknown as Client,
  );

describe('GET /livez', () => {
  it('200 without an API key even when both dependencies hang', async () => {
    const app = fakes(never, never);
    const started = performance.now();
    const res = await app.request('/livez');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(performance.now() - started).toBeLessThan(200);
  });
});

describe('GET /readyz', () => {
  it('200 when both answer', async () => {
    const res = await fakes(
      async () => [],
      async () => ({}),
    ).request('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', postgres: { ok: true }, temporal: { ok: true } });
  });

  it('503 naming the dependency, within its deadline, when one hangs or fails', async () => {
    const started = performance.now();
    const hung = await fakes(never, async () => ({})).request('/readyz');
    const elapsed = performance.now() - started;
    expect(hung.status).toBe(503);
    expect(await hung.json()).toEqual({
      status: 'degraded',
      postgres: { ok: false, error: `timed out after ${READY_TIMEOUT_MS} ms` },
      temporal: { ok: true },
    });
    expect(elapsed).toBeGreaterThanOrEqual(READY_TIMEOUT_MS - 5);
    expect(elapsed).toBeLessThan(READY_TIMEOUT_MS + 500);

    const failing = await fakes(
      async () => [],
      () => Promise.reject(new Error('connection refused')),
    ).request('/readyz');
    expect(failing.status).toBe(503);
    expect(((await failing.json()) as { temporal: { ok: boolean } }).temporal.ok).toBe(false);
  });
});
