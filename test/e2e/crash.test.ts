/**
 * Crash safety on real parts: the worker runs as its own process (`worker/main.ts`, production entry point) on
 * the Temporal dev server, sending through the twilio SDK to the fake Twilio. It is killed with SIGKILL in the
 * middle of a batch — after Twilio accepted messages and before their sids were recorded — and restarted.
 * Every idempotency key must reach Twilio exactly once.
 */
import { Client } from '@temporalio/client';
import { expect, it } from 'vitest';
import { members, messages } from '../../db/schema.js';
import { messageWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { messageWorkflow } from '../../workflows/messaging/message.js';
import { processStack } from '../helpers/process-stack.js';
import { waitFor } from '../helpers/temporal.js';

const BATCH = 30;

const s = processStack({ env: { LOG_LEVEL: 'warn', SMS_MPS: '100' } });
/** The worker process, not waited for: the test's own waits are on Twilio and the workflows. */
const startWorkerProcess = () => s.start('worker/main.ts').child;

it('SIGKILL of the worker mid-batch, then a restart: every key reaches Twilio exactly once', async () => {
  const { fake, env, database } = s;
  const ids: string[] = [];
  for (let i = 0; i < BATCH; i++) {
    const id = crypto.randomUUID();
    ids.push(id);
    await database.db.insert(members).values({
      id,
      name: `C${i}`,
      phone: `+1415556${String(i).padStart(4, '0')}`,
      timezone: 'UTC',
      checkInTime: '09:00',
    });
  }
  // Twilio stores each message at once but answers 3 s later: the window in which a crash loses the sid.
  fake.slowAcceptAll(3_000);
  let worker = startWorkerProcess();

  const client = new Client({ connection: env.connection });
  const handles = await Promise.all(
    ids.map((id, i) =>
      client.workflow.start(messageWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: messageWorkflowId(`crash:${i}`),
        args: [
          {
            idempotencyKey: `crash:${i}`,
            to: { memberId: id },
            kind: 'announcement',
            purpose: 'transactional',
            body: `Crash batch message ${i}`,
          },
        ],
      }),
    ),
  );

  await waitFor(() => fake.messages.length >= 5, 'the first messages at Twilio', 60_000);
  worker.kill('SIGKILL');
  await new Promise((r) => worker.once('exit', r));
  const acceptedBeforeCrash = fake.messages.length;
  fake.slowAcceptAll(0);

  worker = startWorkerProcess();
  const results = await Promise.all(handles.map((h) => h.result()));
  worker.kill('SIGTERM');

  expect(results.every((r) => r.outcome === 'sent' || r.outcome === 'already_sent')).toBe(true);
  for (let i = 0; i < BATCH; i++) {
    expect(
      fake.messages.filter((m) => m.body === `Crash batch message ${i}`),
      `key crash:${i}`,
    ).toHaveLength(1);
  }
  expect(fake.messages).toHaveLength(BATCH);
  // The crash really hit the gap: messages Twilio had accepted were reconciled on retry, not re-sent.
  expect(acceptedBeforeCrash).toBeGreaterThan(0);
  expect(results.filter((r) => r.outcome === 'already_sent').length).toBeGreaterThanOrEqual(
    acceptedBeforeCrash > 0 ? 1 : 0,
  );
  const rows = await database.db.select().from(messages);
  expect(rows).toHaveLength(BATCH);
  expect(rows.every((r) => r.providerSid !== null)).toBe(true);
  expect(rows.filter((r) => r.attempts >= 2).length).toBeGreaterThan(0);
}, 180_000);
