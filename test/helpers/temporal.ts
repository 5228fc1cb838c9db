import type { WorkflowHandle } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll } from 'vitest';
import { createWorkers, type Workers } from '../../worker/worker.js';
import { eraseSignal } from '../../workflows/member/definitions.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { temporalCliExecutable, testServerExecutable } from '../../scripts/tools.js';
import { ensureSearchAttributes } from '../../worker/search-attributes.js';

/**
 * The Java time-skipping test server, resolved from Maven by scripts/tools.ts, with the member search attributes
 * registered (through its OperatorService.AddSearchAttributes; it takes no flag for them).
 */
export async function timeSkippingEnv(
  opts: { payloadCodec?: PayloadCodec } = {},
): Promise<TestWorkflowEnvironment> {
  const executable = await testServerExecutable();
  const client = opts.payloadCodec && { dataConverter: { payloadCodecs: [opts.payloadCodec] } };
  const env = await startingAgain(() =>
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable }, ...(client && { client }) }),
  );
  try {
    await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

/** The real Temporal CLI dev server (the one `npm start` runs), started with the member search attributes. */
export async function devServerEnv(
  opts: { payloadCodec?: PayloadCodec } = {},
): Promise<TestWorkflowEnvironment> {
  const executable = await temporalCliExecutable();
  const client = opts.payloadCodec && { dataConverter: { payloadCodecs: [opts.payloadCodec] } };
  return startingAgain(() =>
    TestWorkflowEnvironment.createLocal({
      ...(client && { client }),
      server: {
        executable,
        ip: '127.0.0.1',
        extraArgs: ['--log-level', 'error'],
        searchAttributes: [...SEARCH_ATTRIBUTES],
      },
    }),
  );
}

/**
 * The SDK gives an ephemeral server 5 s to listen (fixed in sdk-core); a JVM starting on a busy 2-core machine can
 * take longer. The SDK stops a server that missed the deadline, so starting another is safe: up to 20 tries (6 were
 * seen to run out at a load average of 17).
 */
async function startingAgain(
  start: () => Promise<TestWorkflowEnvironment>,
): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      if (attempt >= 20 || !/did not start within/.test((err as Error).message)) throw err;
    }
  }
}

/** Advance the time-skipping server's clock to an absolute instant. */
export async function skipTo(env: TestWorkflowEnvironment, instant: Date | string): Promise<void> {
  const target = new Date(instant).getTime();
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}

export async function waitFor<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * End a member workflow the way the product does (the erase signal: it finishes its handlers and completes by
 * itself). Terminating under an in-flight task can leave the time-skipping server's clock locked, and every
 * later skip would then wait in real time.
 */
export async function finishMember(handle: WorkflowHandle): Promise<void> {
  await handle.signal(eraseSignal);
  await waitFor(
    async () => (await handle.describe()).status.name === 'COMPLETED',
    'the workflow to complete',
  );
}

/**
 * For one test file: the time-skipping server and the real workers (workflows + the paced SMS queue) over the
 * given activities (usually fakes typed against the real ones), started before the file's tests and stopped after.
 * Read `env` inside tests (it is set in `beforeAll`).
 */
export function timeSkippingWorkers(
  activities: object,
  opts: { payloadCodec?: PayloadCodec } = {},
): { env: TestWorkflowEnvironment } {
  const t = {} as { env: TestWorkflowEnvironment };
  let worker: Workers | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    t.env = await timeSkippingEnv(opts);
    worker = await createWorkers({
      connection: t.env.nativeConnection,
      activities,
      smsPerSecond: 1000,
      ...(opts.payloadCodec && { payloadCodec: opts.payloadCodec }),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await t.env?.teardown();
  });
  return t;
}
