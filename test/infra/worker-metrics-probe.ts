/**
 * Child process of worker-metrics.test.ts: installs the Runtime as worker/main.ts does (with a metrics address),
 * runs a worker with the real workflows for one short workflow, and prints what the SDK's /metrics serves.
 */
import { NativeConnection, Worker } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { installRuntime } from '../../worker/runtime.js';

const [address, metricsAddress] = process.argv.slice(2) as [string, string];
installRuntime('warn', undefined, { metricsAddress });
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  taskQueue: 'metrics-probe',
  workflowsPath: new URL('./worker-metrics.workflows.ts', import.meta.url).pathname,
  activities: {
    ok: async () => 'ok',
    boom: async () => {
      throw ApplicationFailure.nonRetryable('probe activity failure', 'Probe');
    },
  },
});
const client = new Client({
  connection: await (await import('@temporalio/client')).Connection.connect({ address }),
});
await worker.runUntil(async () => {
  await client.workflow.execute('probe', { taskQueue: 'metrics-probe', workflowId: `probe-${Date.now()}` });
  await client.workflow
    .execute('probeFails', { taskQueue: 'metrics-probe', workflowId: `probe-fails-${Date.now()}` })
    .catch(() => undefined);
});
const res = await fetch(`http://${metricsAddress}/metrics`);
process.stdout.write(await res.text());
await connection.close();
process.exit(0);
