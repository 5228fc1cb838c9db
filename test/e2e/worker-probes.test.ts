/**
 * The worker process's probes (`worker/main.ts`, WORKER_APP_METRICS_ADDRESS): its metrics port answers `/livez`
 * and `/readyz` from the worker's state, for an orchestrator. Not ready while starting; ready while running; on
 * SIGTERM, while a send is still in flight, not ready but still live (restarting it then would cut the drain
 * short), and the send completes before the process exits.
 */
import { Client } from '@temporalio/client';
import { expect, it } from 'vitest';
import { members } from '../../db/schema.js';
import { freePort } from '../../worker/infra.js';
import { messageWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { messageWorkflow } from '../../workflows/messaging/message.js';
import { processStack } from '../helpers/process-stack.js';
import { waitFor } from '../helpers/temporal.js';

const s = processStack({ env: { SMS_MPS: '100' } });

interface Answer {
  status: number;
  worker?: string;
}
const probe = async (base: string, route: '/livez' | '/readyz'): Promise<Answer | undefined> => {
  const res = await fetch(`${base}${route}`).catch(() => undefined);
  if (!res) return undefined;
  return { status: res.status, worker: ((await res.json()) as { worker?: string }).worker };
};

it('not ready while starting, ready while running, not ready but live while draining on SIGTERM', async () => {
  const { fake, env, database } = s;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const worker = s.start('worker/main.ts', { WORKER_APP_METRICS_ADDRESS: `127.0.0.1:${port}` });
  const exited = new Promise<number | null>((resolve) => worker.child.once('exit', (code) => resolve(code)));

  // Until the worker polls its task queues, every readiness answer is 503 and names the state.
  const beforeRunning: Answer[] = [];
  await waitFor(
    async () => {
      const answer = await probe(base, '/readyz');
      if (answer && answer.status !== 200) beforeRunning.push(answer);
      return answer?.status === 200;
    },
    'the worker ready',
    180_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${worker.out.text}`);
  });
  for (const a of beforeRunning) {
    expect(a.status).toBe(503);
    expect(['STARTING', 'INITIALIZED']).toContain(a.worker);
  }
  expect(await probe(base, '/readyz')).toEqual({ status: 200, worker: 'RUNNING' });
  expect(await probe(base, '/livez')).toEqual({ status: 200, worker: 'RUNNING' });
  expect((await fetch(`${base}/metrics`)).status).toBe(200);

  // A send in flight: Twilio stores the message at once and answers 6 s later.
  const memberId = crypto.randomUUID();
  await database.db.insert(members).values({
    id: memberId,
    name: 'Probe',
    phone: '+14155557301',
    timezone: 'UTC',
    checkInTime: '09:00',
  });
  fake.slowAcceptAll(6_000);
  const client = new Client({ connection: env.connection });
  const handle = await client.workflow.start(messageWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: messageWorkflowId('worker-probes:1'),
    args: [
      {
        idempotencyKey: 'worker-probes:1',
        to: { memberId },
        kind: 'announcement',
        purpose: 'transactional',
        body: 'Probe drain message',
      },
    ],
  });
  await waitFor(() => fake.messages.length >= 1, 'the message at Twilio', 60_000);
  worker.child.kill('SIGTERM');

  // Draining: not ready, still live, the state says why.
  let draining: { ready?: Answer; live?: Answer } = {};
  await waitFor(
    async () => {
      const ready = await probe(base, '/readyz');
      const live = await probe(base, '/livez');
      if (ready?.status === 503 && ready.worker !== 'RUNNING') draining = { ready, live };
      return draining.ready !== undefined;
    },
    'the worker draining',
    5_000,
  );
  expect(draining.ready?.status).toBe(503);
  expect(['STOPPING', 'DRAINING', 'DRAINED']).toContain(draining.ready?.worker);
  expect(draining.live?.status).toBe(200);

  // The send in flight completes before the process exits, and it exits cleanly.
  expect(await exited).toBe(0);
  expect(fake.messages.filter((m) => m.body === 'Probe drain message')).toHaveLength(1);
  fake.slowAcceptAll(0);
  await handle.terminate('test over').catch(() => undefined);
}, 240_000);
