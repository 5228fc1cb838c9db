/**
 * Campaigns running at the same time on one sender share it fairly (real Postgres pacing, the real send
 * activity): each gets its max-min fair share of the sender's MPS whatever its number of send lanes, a campaign
 * with a lower own rate keeps to it, and a rate change is taken on the next send, without a restart.
 * Counts per campaign within a window of sends, not durations: the proof is the split, not the speed.
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignActivities, type GuestSendResult } from '../../activities/campaigns.js';
import type { OutboundSms, SmsProvider } from '../../activities/sms/provider.js';
import {
  createCampaign,
  createGuestList,
  insertGuests,
  prepareRecipients,
  setCampaignRate,
  setCampaignStatus,
} from '../../db/campaigns.js';
import { campaignRecipients } from '../../db/schema.js';
import type { CompliancePolicy } from '../../workflows/lib/compliance.js';
import { activityEnvironment } from '../helpers/activity.js';
import { createTestDatabase } from '../helpers/db.js';
import { createDb } from '../../db/client.js';
import { waitFor } from '../helpers/temporal.js';

const sent: { campaignId: string; msg: OutboundSms }[] = [];
const provider: SmsProvider = {
  name: 'twilio', // paced (the sandbox is not)
  sender: '+15550001111',
  async send(msg) {
    sent.push({ campaignId: msg.idempotencyKey.split(':')[1]!, msg });
    return { sid: `SM${msg.outboxId}`, status: 'queued', from: '+15550001111' };
  },
  async findSent() {
    return null;
  },
};
/** No quiet hours or caps: this test is about the split, at any hour of the real clock. */
const policy: CompliancePolicy = {
  purposes: {
    transactional: { window: null, maxPer24h: null },
    marketing: { window: null, maxPer24h: null },
  },
  regional: [],
};
const SENDER_MPS = 15;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
/** A pool as large as a worker's, so lanes do not queue for connections. */
let pool: ReturnType<typeof createDb>;
beforeAll(async () => {
  database = await createTestDatabase();
  pool = createDb(database.url, { max: 20 });
});
afterAll(async () => {
  await pool?.close();
  await database?.close();
});

let seq = 0;
async function runningCampaign(guests: number) {
  const db = database.db;
  const list = await createGuestList(db, 'l');
  const { inserted } = await insertGuests(
    db,
    list.id,
    Array.from({ length: guests }, () => ({
      phone: `+1212555${String(seq++).padStart(4, '0')}`,
      name: null,
      timezone: 'America/New_York',
      variables: {},
      consent: { source: 'form', at: new Date(), text: 'yes' },
    })),
  );
  const c = await createCampaign(db, {
    listId: list.id,
    name: 'c',
    template: 'Hello',
    segmentBudget: 1,
    brand: 'Crewline',
  });
  await prepareRecipients(db, c.id);
  await setCampaignStatus(db, c.id, 'running');
  return { id: c.id, guestIds: inserted.map((g) => g.id) };
}

const split = (from: number, to: number) => {
  const n: Record<string, number> = {};
  for (const s of sent.slice(from, to)) n[s.campaignId] = (n[s.campaignId] ?? 0) + 1;
  return n;
};

describe('one sender shared by campaigns running together', () => {
  it('fair shares whatever the lanes; a lower own rate is kept; a rate change applies to the next send', async () => {
    const acts = createCampaignActivities({
      db: database.db,
      sms: provider,
      policy,
      smsPerSecond: SENDER_MPS,
    });
    const [a, b, c] = [await runningCampaign(150), await runningCampaign(150), await runningCampaign(150)];
    await setCampaignRate(database.db, a.id, 3); // A: at most 3/s; B and C share the other 12
    // Lanes: A 2, B 3, C 8 batches in flight. Without the per-campaign lanes C would take most of the sender.
    const lanes = (camp: { id: string; guestIds: string[] }, k: number) =>
      Array.from({ length: k }, (_, i) =>
        activityEnvironment().run(
          (input: Parameters<typeof acts.sendCampaignBatch>[0]) => acts.sendCampaignBatch(input),
          {
            campaignId: camp.id,
            guestIds: camp.guestIds.filter((_, j) => j % k === i),
          },
        ),
      );
    const running = [...lanes(a, 2), ...lanes(b, 3), ...lanes(c, 8)];

    await waitFor(() => sent.length >= 60, '60 sends', 60_000);
    const first = split(0, 60);
    // Expected 3/15, 6/15, 6/15 of 60 = 12, 24, 24 (the first send of each lane is not spaced yet).
    expect(first[a.id] ?? 0).toBeLessThanOrEqual(16);
    expect(first[b.id], JSON.stringify(first)).toBeGreaterThanOrEqual(18);
    expect(first[c.id]).toBeGreaterThanOrEqual(18);
    expect(Math.abs(first[b.id]! - first[c.id]!)).toBeLessThanOrEqual(9);

    // A's limit lifted while it runs: from the next send on, three equal shares of 5/s.
    await setCampaignRate(database.db, a.id, null);
    const mark = sent.length + 6; // sends already past their slot
    await waitFor(() => sent.length >= mark + 60, '60 more sends', 60_000);
    const second = split(mark, mark + 60);
    for (const id of [a.id, b.id, c.id]) {
      expect(second[id], `campaign ${id}`).toBeGreaterThanOrEqual(13);
      expect(second[id], `campaign ${id}`).toBeLessThanOrEqual(27);
    }

    // A pause is read before the next text: every batch stops.
    for (const camp of [a, b, c]) await setCampaignStatus(database.db, camp.id, 'paused');
    const results = (await Promise.all(running)).flat() as GuestSendResult[];
    expect(results.some((r) => r.outcome === 'stopped')).toBe(true);
    // Nobody was texted twice.
    const keys = sent.map((s) => s.msg.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('a send batch with several texts in flight', () => {
  it("keeps its lane's rate with texts overlapping; a batch that dies mid-way and is retried texts everyone exactly once; sent states written", async () => {
    const accepted: OutboundSms[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    /** Provider call number on which the "worker dies" (before the provider has the text). */
    let dieOn: number | null = null;
    const slow: SmsProvider = {
      name: 'twilio',
      sender: '+15550002222',
      async send(msg) {
        calls++;
        if (calls === dieOn) throw new Error('worker died before the provider call');
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        // A provider round trip longer than the sender's spacing (1/15 s): only overlapping texts keep up.
        await new Promise((r) => setTimeout(r, 250));
        inFlight--;
        accepted.push(msg);
        return { sid: `SM${msg.outboxId}`, status: 'queued', from: '+15550002222' };
      },
      async findSent() {
        return null;
      },
    };
    const acts = createCampaignActivities({ db: pool.db, sms: slow, policy, smsPerSecond: SENDER_MPS });
    const camp = await runningCampaign(60);
    const run = () =>
      activityEnvironment().run(
        (input: Parameters<typeof acts.sendCampaignBatch>[0]) => acts.sendCampaignBatch(input),
        { campaignId: camp.id, guestIds: camp.guestIds, concurrency: 4 },
      );

    dieOn = 25;
    await expect(run()).rejects.toThrow(/worker died/);
    const afterCrash = accepted.length;
    expect(afterCrash).toBeGreaterThanOrEqual(20);
    // What was accepted before the failure is recorded: those guests are `sent` already.
    const sentRows = await database.db
      .select({ guestId: campaignRecipients.guestId, messageId: campaignRecipients.messageId })
      .from(campaignRecipients)
      .where(and(eq(campaignRecipients.campaignId, camp.id), eq(campaignRecipients.state, 'sent')));
    expect(sentRows.length).toBe(afterCrash);

    // Temporal's retry of the same batch: the rest are sent, nobody twice.
    const startedMs = Date.now();
    const results = (await run()) as GuestSendResult[];
    const seconds = (Date.now() - startedMs) / 1000;
    expect(results.map((r) => r.outcome)).toEqual(Array.from({ length: 60 }, () => 'sent'));
    const phones = accepted.map((m) => m.to);
    expect(phones).toHaveLength(60);
    expect(new Set(phones).size).toBe(60);
    // Several texts overlapped (one at a time, 250 ms each, would manage 4/s), and the rate stayed the lane's.
    expect(maxInFlight).toBeGreaterThan(1);
    const retried = 60 - afterCrash;
    expect(retried / seconds).toBeLessThanOrEqual(SENDER_MPS * 1.1);
    const rows = await database.db
      .select({ state: campaignRecipients.state, messageId: campaignRecipients.messageId })
      .from(campaignRecipients)
      .where(eq(campaignRecipients.campaignId, camp.id));
    expect(rows.every((r) => r.state === 'sent' && r.messageId !== null)).toBe(true);

    // Paused: a batch stops before its first text.
    await setCampaignStatus(database.db, camp.id, 'paused');
    const stopped = (await run()) as GuestSendResult[];
    expect(stopped.every((r) => r.outcome === 'stopped')).toBe(true);
    expect(accepted).toHaveLength(60);
  }, 240_000);
});
