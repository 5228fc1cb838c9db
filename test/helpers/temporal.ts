import type { WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporalCliExecutable, testServerExecutable } from '../../scripts/tools.js';

/** The Java time-skipping test server, resolved from Maven by scripts/tools.ts. */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: await testServerExecutable() } });
}

/** The real Temporal CLI dev server (the one `npm start` runs). */
export async function devServerEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: await temporalCliExecutable(),
      ip: '127.0.0.1',
      extraArgs: ['--log-level', 'error'],
    },
  });
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
 * Terminate a workflow once it has no activity in flight. (The time-skipping server keeps time locked for an
 * activity whose workflow was terminated under it, and every later skip would then wait in real time.)
 */
export async function terminateWhenIdle(handle: WorkflowHandle): Promise<void> {
  await waitFor(
    async () => ((await handle.describe()).raw.pendingActivities ?? []).length === 0,
    'no pending activities',
  );
  await handle.terminate();
}
