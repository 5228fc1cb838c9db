/**
 * Bulk sends on the time-skipping server with the real activities (Postgres, sandbox provider): batches of
 * recipients per activity; the gate drops what lacks consent and defers what falls in quiet hours; a re-run of
 * the same keys sends nothing twice.
 */
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SendSmsInput } from '../../activities/messaging.js';
import { recordConsent } from '../../db/consent.js';
import { members, messages } from '../../db/schema.js';
import { bulkMessageWorkflow } from '../../workflows/messaging/bulk.js';
import { bulkWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import type { createTestDatabase } from '../helpers/db.js';
import { captureHistory } from '../helpers/histories.js';
import { timeSkippingStack } from '../helpers/stack.js';
import { skipTo } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let stack: Awaited<ReturnType<typeof timeSkippingStack>>;
let client: Client;

beforeAll(async () => {
  stack = await timeSkippingStack();
  ({ env, database } = stack);
  client = new Client({ connection: env.connection }); // result() without unlocking time skipping
});
afterAll(async () => {
  await stack?.close();
});

it('sends 120 texts in batches, drops the unconsented, defers quiet hours to 08:00 local, never twice', async () => {
  // 100 members in New York with marketing consent, 20 without.
  const items: SendSmsInput[] = [];
  for (let i = 0; i < 120; i++) {
    const id = crypto.randomUUID();
    const phone = `+1212777${String(i).padStart(4, '0')}`;
    await database.db
      .insert(members)
      .values({ id, name: 'B', phone, timezone: 'America/New_York', checkInTime: '09:00' });
    if (i < 100)
      await recordConsent(database.db, {
        phone,
        purpose: 'marketing',
        action: 'opt_in',
        source: 'import',
        evidence: { batch: 'test' },
      });
    items.push({
      idempotencyKey: `bulk-test:${i}`,
      to: { memberId: id },
      kind: 'promo',
      purpose: 'marketing',
      body: `Spring challenge ${i}`,
    });
  }
  await skipTo(env, '2027-04-01T06:00:00Z'); // 02:00 EDT: quiet hours
  const start = () =>
    env.client.workflow.start(bulkMessageWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: bulkWorkflowId(`test:${Date.now()}`),
      args: [{ items, batchSize: 25, lanes: 3 }],
    });
  const first = await start();
  await new Promise((r) => setTimeout(r, 1_500));
  expect(await database.db.select().from(messages).where(eq(messages.status, 'delivered'))).toHaveLength(0);

  await skipTo(env, '2027-04-01T12:01:00Z'); // 08:01 EDT
  const summary = await client.workflow.getHandle(first.workflowId).result();
  await captureHistory('messaging-bulk', client.workflow.getHandle(first.workflowId));
  expect(summary).toMatchObject({ sent: 100, dropped: 20, failed: 0, deferralRounds: 1 });
  const rows = await database.db.select().from(messages).where(like(messages.idempotencyKey, 'bulk-test:%'));
  expect(rows.filter((r) => r.status === 'delivered')).toHaveLength(100);
  expect(
    rows.filter((r) => r.status === 'dropped' && r.errorMessage === 'no_marketing_consent'),
  ).toHaveLength(20);
  for (const r of rows.filter((x) => x.status === 'delivered')) {
    expect(r.sentAt!.getTime()).toBeGreaterThanOrEqual(Date.parse('2027-04-01T12:00:00Z'));
  }

  // The same keys again (a restarted campaign): nothing new is sent.
  const again = await start();
  const second = await client.workflow.getHandle(again.workflowId).result();
  expect(second).toMatchObject({ sent: 0, alreadySent: 100, dropped: 20 });
  expect(
    await database.db.select().from(messages).where(like(messages.idempotencyKey, 'bulk-test:%')),
  ).toHaveLength(120);
});
