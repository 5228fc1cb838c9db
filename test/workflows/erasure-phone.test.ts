/**
 * A guest erased while a campaign is texting their list (issue 12, `POST /privacy/erasures`): the real campaign
 * activities, the real messaging core and Postgres, payloads sealed by the codec, on the time-skipping server.
 * The campaign's one send batch has already read every guest (phones included) when the erasure comes, and its
 * first wave is at the provider: the erased guest, due in the next wave, gets no text (the send gate re-reads the
 * guest under the number's lock), every other guest gets exactly one, the campaign completes, the erasure
 * workflow reaches `done`, and what was sealed for the guest in the campaign's history (their reply) no longer
 * decodes, while another guest's still does. No row holds the number afterwards. And the erasure hash list at
 * the gate: a guest row older than an erasure of its number (an import that ran beside the erasure) is not texted.
 */
import { randomUUID } from 'node:crypto';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundSms, SmsProvider } from '../../activities/sms/provider.js';
import { createCampaign, createGuestList, insertGuests, type GuestInput } from '../../db/campaigns.js';
import { phoneHash } from '../../db/erasure.js';
import { erasures, messages } from '../../db/schema.js';
import { progressQuery, replySignal } from '../../workflows/guest-campaign/definitions.js';
import { guestCampaignWorkflow } from '../../workflows/guest-campaign/workflow.js';
import { guestCampaignWorkflowId, phoneErasureWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { markedFor } from '../../workflows/lib/subject.js';
import { json, testApp } from '../helpers/app.js';
import { timeSkippingStack, type TimeSkippingStack } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

/** The provider takes every text but answers none until released: the first wave stays at the provider. */
const calls: OutboundSms[] = [];
let release!: () => void;
const released = new Promise<void>((r) => (release = r));
const provider: SmsProvider = {
  name: 'sandbox',
  sender: 'fake',
  async send(msg) {
    calls.push(msg);
    await released;
    return { sid: `SMfake${msg.outboxId}`, status: 'sent', from: null };
  },
  async findSent(msg) {
    const found = calls.find((a) => a.idempotencyKey === msg.idempotencyKey);
    return found ? { sid: `SMfake${found.outboxId}`, status: 'sent', from: null } : null;
  },
};

let stack: TimeSkippingStack;
let app: ReturnType<typeof testApp>;
/** A client that never skips time by itself (the campaign is polled, not awaited). */
let client: Client;

beforeAll(async () => {
  stack = await timeSkippingStack({ sms: provider });
  app = testApp(stack.database.db, stack.env.client, {}, undefined, stack.payloadCodec);
  client = new Client({
    connection: stack.env.connection,
    dataConverter: { payloadCodecs: [stack.payloadCodec] },
  });
}, 120_000);
afterAll(async () => {
  release?.();
  await stack?.close();
});

/** Every payload of a workflow's history, decoded through the codec (as the Web UI would show them). */
async function decodedHistory(handle: WorkflowHandle): Promise<unknown[]> {
  const history = await handle.fetchHistory();
  const found: Payload[] = [];
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if (v instanceof Uint8Array) return;
    const o = v as Record<string, unknown>;
    if (o.metadata && typeof o.metadata === 'object' && o.data instanceof Uint8Array) {
      found.push(o);
      return;
    }
    for (const x of Array.isArray(v) ? v : Object.values(o)) walk(x);
  };
  walk(history.events);
  const decoded = await stack.payloadCodec.decode(found);
  return decoded.map((p) => defaultPayloadConverter.fromPayload(p));
}

/** A list of `n` guests in UTC, named `<guestName> <i>`, their numbers from +1415555<first> on. */
async function guestList(listName: string, guestName: string, n: number, first: number) {
  const consent = { source: 'form', at: new Date('2026-11-01T10:00:00Z'), text: 'Text me' };
  const list: GuestInput[] = Array.from({ length: n }, (_, i) => ({
    phone: `+1415555${String(first + i)}`,
    name: `${guestName} ${i}`,
    timezone: 'UTC',
    variables: {},
    consent,
  }));
  const gl = await createGuestList(stack.database.db, listName);
  const { inserted } = await insertGuests(stack.database.db, gl.id, list);
  return { listId: gl.id, inserted };
}

/** A campaign to the list, started (one lane, batches of `batchSize`). */
async function startCampaign(listId: string, name: string, batchSize: number) {
  const campaign = await createCampaign(stack.database.db, {
    listId,
    name,
    template: 'Doors open, {{name}}',
    segmentBudget: 1,
    brand: 'Crewline',
  });
  const handle = await client.workflow.start(guestCampaignWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: guestCampaignWorkflowId(campaign.id),
    args: [{ campaignId: campaign.id, batchSize, lanes: 1 }],
  });
  return { campaign, handle };
}

describe('a guest erased mid-campaign', () => {
  it('gets no text after the erasure while the others get theirs; their payloads no longer decode', async () => {
    await skipTo(stack.env, '2027-03-20T15:00:00Z'); // daytime for the UTC guests
    const db = stack.database.db;
    // 30 guests: the batch reads them all, its first wave is 25 texts, the second 5.
    const { listId, inserted } = await guestList('Gala', 'Guest', 30, 3000);
    const { campaign, handle } = await startCampaign(listId, 'Gala', 40);

    // The first wave is at the provider (claimed in the outbox, not answered).
    await waitFor(() => calls.length > 0, 'the first wave to reach the provider', 60_000);
    const claimed = new Set(
      (await db.select().from(messages).where(eq(messages.campaignId, campaign.id))).map((m) => m.toPhone),
    );
    expect(claimed.size).toBeGreaterThan(0);
    expect(claimed.size).toBeLessThan(30);
    const gone = inserted.find((g) => !claimed.has(g.phone))!;
    const stays = inserted.find((g) => g.id !== gone.id)!;
    // Both replied earlier: the reply is sealed with each guest's own key.
    for (const [g, n] of [
      [gone, 1],
      [stays, 2],
    ] as const)
      await handle.signal(
        replySignal,
        markedFor('guest', g.id, {
          inboundId: n,
          body: `See you there, reply ${n}`,
          receivedAtMs: Date.now(),
        }),
      );

    const res = await app.request('/privacy/erasures', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ phone: gone.phone }),
    });
    expect(res.status).toBe(202);
    const erasureId = res.headers.get('erasure-id')!;
    release();

    const done = await waitFor(
      async () => {
        const p = await handle.query(progressQuery);
        return p.status === 'completed' && p;
      },
      'the campaign to complete',
      120_000,
    );
    expect(done.counts).toMatchObject({
      sent: 29,
      failed: 0,
      skipped: { recipient_erased: 1 },
    });
    // No text reached the erased guest; everyone else has exactly one.
    const to = calls.map((c) => c.to);
    expect(to).not.toContain(gone.phone);
    expect(new Set(to).size).toBe(29);
    expect(to).toHaveLength(29);
    expect(await db.select().from(messages).where(eq(messages.toPhone, gone.phone))).toEqual([]);

    // The erasure told the running campaign and finished.
    const erasure = client.workflow.getHandle(phoneErasureWorkflowId(erasureId));
    await waitFor(
      async () => (await erasure.describe()).status.name === 'COMPLETED',
      'the erasure to complete',
      120_000,
    );
    expect(await erasure.result()).toEqual({ campaignsTold: 1 });

    // Their reply in the campaign's history is a tombstone now; the other guest's still decodes.
    const payloads = JSON.stringify(await decodedHistory(handle));
    expect(payloads).not.toContain('See you there, reply 1');
    expect(payloads).toContain(JSON.stringify({ subject: `guest:${gone.id}`, erased: true }));
    expect(payloads).toContain('See you there, reply 2');
    // The erasure's own history: the number was sealed under `erasure:<id>`, shredded at the end.
    const own = JSON.stringify(await decodedHistory(erasure));
    expect(own).not.toContain(gone.phone.slice(1));
    expect(own).toContain(JSON.stringify({ subject: `erasure:${erasureId}`, erased: true }));
  }, 300_000);

  it('a guest row older than an erasure of its number (an import that ran beside it) is not texted', async () => {
    release();
    await skipTo(stack.env, '2027-03-20T15:00:00Z');
    const db = stack.database.db;
    const { listId, inserted } = await guestList('Gala, later', 'Late', 3, 4000);
    // Its number was erased (as a member's: no opt-out kept) after this row was written, which the erasure's
    // transaction did not see: only the hash list knows.
    const survivor = inserted[1]!;
    await db.insert(erasures).values({
      id: randomUUID(),
      requestedBy: 'env-key:env',
      phoneHash: phoneHash(survivor.phone),
      requestedAt: new Date(survivor.createdAt.getTime() + 1_000),
    });
    const { campaign, handle } = await startCampaign(listId, 'Gala, later', 10);
    const done = await waitFor(
      async () => {
        const p = await handle.query(progressQuery);
        return p.status === 'completed' && p;
      },
      'the campaign to complete',
      120_000,
    );
    expect(done.counts).toMatchObject({ sent: 2, failed: 0, skipped: { recipient_erased: 1 } });
    const to = calls.filter((c) => c.idempotencyKey.startsWith(`campaign:${campaign.id}:`)).map((c) => c.to);
    expect(to.sort()).toEqual([inserted[0]!.phone, inserted[2]!.phone].sort());
    expect(await db.select().from(messages).where(eq(messages.toPhone, survivor.phone))).toEqual([]);
  }, 300_000);
});
