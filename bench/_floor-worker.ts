/**
 * The worker process of `bench/signal-floor.ts`: one Temporal worker running `floorMember`, which reports each
 * handled signal's latency (signal sent → its workflow task done) to the parent over IPC.
 */
import path from 'node:path';
import { NativeConnection, Worker, type InjectedSinks } from '@temporalio/worker';
import type { FloorSinks } from './_floor-workflows.js';
import { installRuntime } from '../worker/worker.js';

installRuntime('warn');
const latencies: number[] = [];
const sinks: InjectedSinks<FloorSinks> = {
  floor: {
    handled: { fn: (_info, sentAt) => void latencies.push(Date.now() - sentAt), callDuringReplay: false },
  },
};
const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
const worker = await Worker.create({
  connection,
  taskQueue: 'signal-floor',
  workflowsPath: path.join(import.meta.dirname, '_floor-workflows.ts'),
  sinks,
  ...(process.env.FLOOR_CACHE && { maxCachedWorkflows: Number(process.env.FLOOR_CACHE) }),
});
process.on('message', (msg) => {
  if (msg === 'count') process.send!({ count: latencies.length });
  if (msg === 'report') process.send!({ latencies });
  if (msg === 'stop') worker.shutdown();
});
const running = worker.run();
process.send!('ready');
await running;
await connection.close();
process.exit(0);
