/**
 * The guest campaign workflow on the time-skipping server with the real activities (real Postgres, the real
 * messaging core) and a fake provider that can block, or die before/after accepting a text: every guest is
 * texted exactly once through crashes and pause/resume; holds (quiet hours, Florida's window and cap) are sent
 * when they end, never dropped.
 */
import { Client, type WorkflowHandle } from '@temporalio/client';
import { and, eq, isNotNull } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundSms, SmsProvider } from '../../activities/sms/provider.js';
import { createCampaign, createGuestList, insertGuests, type GuestInput } from '../../db/campaigns.js';
import { applyStatusReport } from '../../db/status.js';
import { campaignRecipients, campaigns, messages } from '../../db/schema.js';
import { pauseUpdate, progressQuery, resumeUpdate } from '../../workflows/guest-campaign/definitions.js';
import { guestCampaignWorkflow } from '../../workflows/guest-campaign/workflow.js';
import { guestCampaignWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { timeSkippingStack, type TimeSkippingStack } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

/** Provider calls in the order they started, and the texts the "provider" accepted. */
const calls: OutboundSms[] = [];
const accepted: OutboundSms[] = [];
/** While set, every provider call waits for it (a slow provider: sends stay in flight). */
let gate: Promise<void> | null = null;
let release: () => void = () => undefined;
/** From this provider call number on, calls wait for the gate (set before the campaign starts: no race). */
let gateFrom: number | null = null;
/** Provider call number → how the worker "dies" on it (once): before the provider has it, or just after. */
const crashes = new Map<number, 'before' | 'after'>();

const provider: SmsProvider = {
  name: 'sandbox',
  sender: 'fake',
  async send(msg) {
    calls.push(msg);
    const n = calls.length;
    if (gateFrom !== null && n >= gateFrom && !gate) gate = new Promise<void>((r) => (release = r));
    if (gate) await gate;
    const crash = crashes.get(n);
    crashes.delete(n);
    if (crash === 'before') throw new Error('worker died before the provider call');
    accepted.push(msg);
    if (crash === 'after') throw new Error('worker died after the provider accepted');
    return { sid: `SMfake${msg.outboxId}`, status: 'sent', from: null };
  },
  async findSent(msg) {
    const found = accepted.find((a) => a.to === msg.to && a.body === msg.body);
    return found ? { sid: `SMfake${found.outboxId}`, status: 'sent', from: null } : null;
  },
};

let stack: TimeSkippingStack;
/** A plain client: time moves only through skipTo(). */
let client: Client;
let seq = 0;
const consent = { source: 'form', at: new Date('2026-11-01T10:00:00Z'), text: 'Text me' };

beforeAll(async () => {
  stack = await timeSkippingStack({ sms: provider });
  client = new Client({ connection: stack.env.connection });
});
afterAll(async () => {
  await stack?.close();
});

function guest(area: string, timezone: string, withConsent = true): GuestInput {
  return {
    phone: `+1${area}555${String(1000 + seq++).padStart(4, '0')}`,
    name: `G${seq}`,
    timezone,
    variables: {},
    consent: withConsent ? consent : null,
  };
}

async function campaignFor(list: GuestInput[]) {
  const db = stack.database.db;
  const l = await createGuestList(db, 'list');
  await insertGuests(db, l.id, list);
  return createCampaign(db, {
    listId: l.id,
    name: 'c',
    template: 'Hi {{name}}',
    segmentBudget: 1,
    brand: 'Crewline',
  });
}

function start(campaignId: string, opts: { batchSize?: number; lanes?: number; resendRound?: number } = {}) {
  return client.workflow.start(guestCampaignWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: guestCampaignWorkflowId(campaignId),
    args: [{ campaignId, ...opts }],
  });
}

const acceptedFor = (campaignId: string) =>
  accepted.filter((a) => a.idempotencyKey.startsWith(`campaign:${campaignId}:`));
const states = (campaignId: string) =>
  stack.database.db
    .select({ state: campaignRecipients.state, reason: campaignRecipients.reason })
    .from(campaignRecipients)
    .where(eq(campaignRecipients.campaignId, campaignId));
async function finished(h: WorkflowHandle<typeof guestCampaignWorkflow>) {
  return client.workflow.getHandle(h.workflowId).result() as ReturnType<typeof guestCampaignWorkflow>;
}

describe('guest campaign workflow', () => {
  beforeAll(async () => {
    // 15:00 UTC = 10:00 in New York: inside every marketing window used below.
    await skipTo(stack.env, '2027-03-02T15:00:00Z');
  });

  it('a worker that dies before and after the provider call mid-campaign: every guest texted exactly once, no gap', async () => {
    const list = Array.from({ length: 40 }, () => guest('212', 'America/New_York'));
    const c = await campaignFor(list);
    const base = calls.length;
    crashes.set(base + 7, 'before');
    crashes.set(base + 13, 'after');
    crashes.set(base + 31, 'after');
    const h = await start(c.id, { batchSize: 5, lanes: 2 });
    const result = await finished(h);
    expect(result.status).toBe('completed');
    const got = acceptedFor(c.id)
      .map((a) => a.to)
      .sort();
    expect(got).toEqual(list.map((g) => g.phone).sort()); // each guest exactly once, nobody missing
    expect(new Set(got).size).toBe(40);
    expect((await states(c.id)).every((s) => s.state === 'sent')).toBe(true);
    expect(result.counts.sent).toBe(40);
    // Every text is in the outbox with the campaign id and its business key.
    const rows = await stack.database.db
      .select({ key: messages.idempotencyKey })
      .from(messages)
      .where(and(eq(messages.campaignId, c.id), isNotNull(messages.providerSid)));
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => r.key)).size).toBe(40);
  });

  it('pause: no text starts after the pause is acknowledged; resume continues exactly where it stopped', async () => {
    const list = Array.from({ length: 30 }, () => guest('212', 'America/New_York'));
    list.push(guest('212', 'America/New_York', false)); // no consent: skipped, never texted
    const c = await campaignFor(list);
    gateFrom = calls.length + 7; // the 7th text of this campaign and later ones wait on the provider
    const h = await start(c.id, { batchSize: 4, lanes: 2 });
    await waitFor(() => gate !== null, 'a send waiting on the provider');
    const paused = await h.executeUpdate(pauseUpdate);
    const callsAtAck = calls.length;
    expect(paused.status).toBe('paused');
    expect(paused.inFlightBatches).toBeLessThanOrEqual(2);
    gateFrom = null;
    gate = null;
    release();
    await new Promise((r) => setTimeout(r, 1_500));
    // Only sends already waiting on the provider finished; none started after the acknowledgement.
    expect(calls.length).toBe(callsAtAck);
    const progress = await h.query(progressQuery);
    expect(progress.status).toBe('paused');
    expect(progress.counts.sent).toBeLessThan(30);
    const [row] = await stack.database.db.select().from(campaigns).where(eq(campaigns.id, c.id));
    expect(row?.status).toBe('paused');

    await h.executeUpdate(resumeUpdate);
    const result = await finished(h);
    expect(result.status).toBe('completed');
    const got = acceptedFor(c.id).map((a) => a.to);
    expect(got.sort()).toEqual(
      list
        .slice(0, 30)
        .map((g) => g.phone)
        .sort(),
    );
    expect(result.counts).toMatchObject({ sent: 30, skipped: { no_consent: 1 }, failed: 0 });
    await captureHistory('guest-campaign-pause', h);
  });

  it("quiet hours per guest's zone are held, not dropped: Florida's 20:00 end, released at 08:00 local", async () => {
    // 01:30 UTC = 20:30 in New York (EST): 212 may still get marketing texts (until 21:00), Florida (305, FTSA)
    // may not (until 20:00); 10:30 in Tokyo.
    await skipTo(stack.env, '2027-03-03T01:30:00Z');
    const ny = guest('212', 'America/New_York');
    const fl = guest('305', 'America/New_York');
    const tokyo = { ...guest('212', 'Asia/Tokyo'), phone: `+8190${String(12340000 + seq++)}` };
    const c = await campaignFor([ny, fl, tokyo]);
    const h = await start(c.id);
    await waitFor(async () => (await h.query(progressQuery)).nextWakeAtMs !== null, 'the hold');
    expect(
      acceptedFor(c.id)
        .map((a) => a.to)
        .sort(),
    ).toEqual([ny.phone, tokyo.phone].sort());
    const progress = await h.query(progressQuery);
    expect(progress.status).toBe('running');
    expect(new Date(progress.nextWakeAtMs!).toISOString()).toBe('2027-03-03T13:00:00.000Z'); // 08:00 EST
    expect(await states(c.id)).toContainEqual({ state: 'held', reason: 'quiet_hours' });
    await skipTo(stack.env, '2027-03-03T13:00:05Z');
    const result = await finished(h);
    expect(result.status).toBe('completed');
    expect(
      acceptedFor(c.id)
        .map((a) => a.to)
        .sort(),
    ).toEqual([ny.phone, fl.phone, tokyo.phone].sort());
    const [flRow] = await stack.database.db
      .select({ sentAt: messages.sentAt })
      .from(messages)
      .where(and(eq(messages.campaignId, c.id), eq(messages.toPhone, fl.phone)));
    expect(flRow!.sentAt!.getTime()).toBeGreaterThanOrEqual(Date.parse('2027-03-03T13:00:00Z'));
    await captureHistory('guest-campaign-held', h);
  });

  it("Florida's 3 marketing texts per 24 h: a fourth campaign's text is held until the first is a day old", async () => {
    await skipTo(stack.env, '2027-03-03T15:00:00Z'); // 10:00 in New York
    const fl = guest('305', 'America/New_York');
    const db = stack.database.db;
    const l = await createGuestList(db, 'fl');
    await insertGuests(db, l.id, [fl]);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await createCampaign(db, {
        listId: l.id,
        name: `c${i}`,
        template: `Note ${i}`,
        segmentBudget: 1,
        brand: 'Crewline',
      });
      ids.push(c.id);
      const h = await start(c.id);
      if (i < 3) expect((await finished(h)).counts.sent).toBe(1);
      else {
        await waitFor(async () => (await h.query(progressQuery)).nextWakeAtMs !== null, 'the cap hold');
        expect(await states(c.id)).toEqual([{ state: 'held', reason: 'frequency_cap' }]);
        const first = accepted.find((a) => a.idempotencyKey.startsWith(`campaign:${ids[0]}:`))!;
        expect(first).toBeDefined();
        await skipTo(stack.env, '2027-03-04T15:00:30Z');
        expect((await finished(h)).counts.sent).toBe(1);
      }
    }
    expect(accepted.filter((a) => a.to === fl.phone)).toHaveLength(4);
  });

  it('send again to those not delivered: only the undelivered guest is texted again, never one who got it', async () => {
    await skipTo(stack.env, '2027-03-05T15:00:00Z');
    const list = [
      guest('212', 'America/New_York'),
      guest('212', 'America/New_York'),
      guest('212', 'America/New_York'),
    ];
    const c = await campaignFor(list);
    expect((await finished(await start(c.id))).counts.sent).toBe(3);
    const undelivered = accepted.find(
      (a) => a.to === list[1]!.phone && a.idempotencyKey.startsWith(`campaign:${c.id}:`),
    )!;
    // A late "delivered" for another guest and an "undelivered" (30003 unreachable) for this one, out of order.
    const other = accepted.find(
      (a) => a.to === list[0]!.phone && a.idempotencyKey.startsWith(`campaign:${c.id}:`),
    )!;
    await applyStatusReport(stack.database.db, {
      outboxId: other.outboxId,
      sid: `SMfake${other.outboxId}`,
      status: 'delivered',
      errorCode: null,
    });
    await applyStatusReport(stack.database.db, {
      outboxId: other.outboxId,
      sid: `SMfake${other.outboxId}`,
      status: 'sent',
      errorCode: null,
    });
    await applyStatusReport(stack.database.db, {
      outboxId: undelivered.outboxId,
      sid: `SMfake${undelivered.outboxId}`,
      status: 'undelivered',
      errorCode: 30003,
    });
    const [otherRow] = await stack.database.db
      .select({ status: messages.status })
      .from(messages)
      .where(eq(messages.id, other.outboxId));
    expect(otherRow?.status).toBe('delivered'); // the late "sent" did not move it back
    const again = await finished(await start(c.id, { resendRound: 1 }));
    expect(again).toMatchObject({ status: 'completed', counts: { sent: 1 } });
    const texts = acceptedFor(c.id);
    expect(texts.filter((a) => a.to === list[1]!.phone).map((a) => a.idempotencyKey)).toEqual([
      `campaign:${c.id}:guest:${texts.find((a) => a.to === list[1]!.phone)!.idempotencyKey.split(':')[3]}`,
      expect.stringMatching(/:resend:1$/),
    ]);
    expect(texts.filter((a) => a.to !== list[1]!.phone)).toHaveLength(2);
    // The re-sent text went out: a second resend round texts nobody.
    expect((await finished(await start(c.id, { resendRound: 2 }))).counts.sent).toBe(0);
    expect(acceptedFor(c.id)).toHaveLength(4);
  });
});
