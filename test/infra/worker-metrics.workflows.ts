/**
 * Workflows of the metrics probe: enough for the SDK to record workflow, task and activity metrics, successes and
 * failures alike (so every SDK series the Grafana dashboard queries exists).
 */
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';

const { ok, boom } = proxyActivities<{ ok(): Promise<string>; boom(): Promise<void> }>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 1 },
});

export async function probe(): Promise<string> {
  await ok();
  await boom().catch(() => undefined);
  return 'done';
}

export async function probeFails(): Promise<never> {
  throw ApplicationFailure.nonRetryable('probe failure', 'Probe');
}
