/**
 * Liveness and readiness for orchestrators (issue 13): /livez touches no dependency; /readyz answers within its
 * deadline whatever the dependencies do; /health and /readyz answer from one shared check (at most one in flight,
 * at most one a second), and still report a dependency that goes down within ~2 s. Fakes stand in for Postgres
 * and Temporal to make them hang or fail.
 */
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/client.js';
import type { AppDeps } from '../../api/deps.js';
import { CHECK_FRESH_MS, dependencyCheck, READY_TIMEOUT_MS } from '../../api/routes/health.js';
import { ConfigError, loadConfig } from '../../worker/config.js';
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

/** A dependency whose answer the test controls: counts its calls; each call waits for `mode`. */
function controlled() {
  const dep = {
    calls: 0,
    mode: 'ok' as 'ok' | 'fail' | 'hang',
    gate: undefined as Promise<void> | undefined,
    fn: async () => {
      dep.calls++;
      if (dep.gate) await dep.gate;
      if (dep.mode === 'hang') return never();
      if (dep.mode === 'fail') throw new Error('connection refused');
      return [];
    },
  };
  return dep;
}

describe('GET /readyz and GET /health answer from one shared check', () => {
  it('concurrent probes wait for one check of each dependency, then answer from it', async () => {
    const pg = controlled();
    const tp = controlled();
    let open!: () => void;
    pg.gate = new Promise<void>((r) => (open = r));
    const app = fakes(pg.fn, tp.fn);
    const first = Array.from({ length: 20 }, async () => app.request('/readyz'));
    await new Promise((r) => setTimeout(r, 50));
    expect(pg.calls).toBe(1);
    open();
    const answers = await Promise.all(first);
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    // Fresh: answered from the result, nobody is asked again.
    const again = await Promise.all(Array.from({ length: 20 }, async () => app.request('/readyz')));
    expect(again.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect([pg.calls, tp.calls]).toEqual([1, 1]);
    // /health has its own check (3 s deadline), also one for many requests.
    await Promise.all(Array.from({ length: 10 }, async () => app.request('/health')));
    expect([pg.calls, tp.calls]).toEqual([2, 2]);
  });

  it('while probed every 100 ms, a dependency that goes down is a 503 within 2 s, and nobody waits for the check', async () => {
    const pg = controlled();
    const tp = controlled();
    const app = fakes(pg.fn, tp.fn);
    const up = performance.now();
    expect((await app.request('/readyz')).status).toBe(200);
    for (let i = 0; i < 12; i++) {
      expect((await app.request('/readyz')).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
    }
    // 13 probes, re-checked in the background about once a second (not once per probe).
    expect(pg.calls).toBeGreaterThanOrEqual(2);
    expect(pg.calls).toBeLessThanOrEqual(Math.floor((performance.now() - up) / CHECK_FRESH_MS) + 1);

    tp.mode = 'hang'; // Temporal stops answering: each check now takes the full deadline
    const down = performance.now();
    let status = 200;
    let slowest = 0;
    while (status === 200 && performance.now() - down < 5_000) {
      const t = performance.now();
      const res = await app.request('/readyz');
      slowest = Math.max(slowest, performance.now() - t);
      status = res.status;
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
      else
        expect(((await res.json()) as { temporal: unknown }).temporal).toEqual({
          ok: false,
          error: `timed out after ${READY_TIMEOUT_MS} ms`,
        });
    }
    expect(status).toBe(503);
    expect(performance.now() - down).toBeLessThan(CHECK_FRESH_MS + READY_TIMEOUT_MS + 500);
    // Answered from the last result meanwhile: no request waited for the hanging check.
    expect(slowest).toBeLessThan(READY_TIMEOUT_MS / 2);
  });
});

describe('dependencyCheck (a manual clock)', () => {
  function setup() {
    const pg = controlled();
    const tp = controlled();
    let now = 0;
    const deps = {
      db: { execute: pg.fn },
      temporal: { workflowService: { getSystemInfo: tp.fn } },
    } as unknown as AppDeps;
    const check = dependencyCheck(deps, 800, () => now);
    return { pg, tp, check, advance: (ms: number) => (now += ms) };
  }

  it('a result older than a second is answered once more while a new check runs; the next answer is the new one', async () => {
    const { pg, check, advance } = setup();
    expect((await check()).status).toBe('ok');
    advance(CHECK_FRESH_MS);
    pg.mode = 'fail';
    const stale = check();
    expect(stale).not.toBeInstanceOf(Promise); // answered at once from the last result
    expect((await stale).status).toBe('ok');
    expect(pg.calls).toBe(2);
    await new Promise((r) => setTimeout(r, 0));
    const now = await check();
    expect(now.status).toBe('degraded');
    expect(now.postgres).toEqual({ ok: false, error: 'connection refused' });
  });

  it('after a quiet spell the old result is not trusted: the request waits for a new check', async () => {
    const { pg, check, advance } = setup();
    expect((await check()).status).toBe('ok');
    advance(CHECK_FRESH_MS + 800 + 200); // older than a second plus the deadline
    pg.mode = 'fail';
    const answer = check();
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer).status).toBe('degraded');
  });

  it('one check in flight at a time, however many ask', async () => {
    const { pg, tp, check } = setup();
    let open!: () => void;
    tp.gate = new Promise<void>((r) => (open = r));
    const answers = Array.from({ length: 100 }, () => check());
    expect([pg.calls, tp.calls]).toEqual([1, 1]);
    open();
    expect(new Set(await Promise.all(answers.map((a) => Promise.resolve(a)))).size).toBe(1);
  });
});

describe('PROBE_PORT and PROBE_LIVENESS_STALL_MS (worker/config.ts)', () => {
  it('default 8081 (marked as the default), 0 = a free port, off = none; bad values name the variable', () => {
    expect(loadConfig({}).probes).toEqual({ port: 8081, defaultPort: true, livenessStallMs: 10_000 });
    expect(loadConfig({ PROBE_PORT: '9100', PROBE_LIVENESS_STALL_MS: '30000' }).probes).toEqual({
      port: 9100,
      defaultPort: false,
      livenessStallMs: 30_000,
    });
    expect(loadConfig({ PROBE_PORT: '0' }).probes.port).toBe(0);
    expect(loadConfig({ PROBE_PORT: 'off' }).probes).toMatchObject({ port: undefined, defaultPort: false });
    for (const [name, value] of [
      ['PROBE_PORT', 'on'],
      ['PROBE_PORT', '70000'],
      ['PROBE_LIVENESS_STALL_MS', '10'],
    ] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value })).toThrow(name);
    }
  });
});
