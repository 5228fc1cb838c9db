/**
 * A campaign send batch costs a constant number of database round trips per wave, not ~20 per text: every
 * statement the batch sends to PostgreSQL is counted through postgres.js's `debug` hook, for a batch of 10 guests
 * and one of 100. Both batches go through the whole gate — an opted-out number is skipped, a number already at
 * its daily cap is held, the rest are claimed, sent once each and marked `sent` — so the count covers every rule.
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import { and, eq, inArray } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignActivities, type GuestSendResult } from '../../activities/campaigns.js';
import { ProviderError, type OutboundSms, type SmsProvider } from '../../activities/sms/provider.js';
import {
  createCampaign,
  createGuestList,
  insertGuests,
  prepareRecipients,
  setCampaignStatus,
} from '../../db/campaigns.js';
import { consentState, suppress } from '../../db/consent.js';
import * as schema from '../../db/schema.js';
import { campaignRecipients, messages } from '../../db/schema.js';
import type { CompliancePolicy } from '../../workflows/lib/compliance.js';
import { activityEnvironment } from '../helpers/activity.js';
import { createTestDatabase } from '../helpers/db.js';

const sent: OutboundSms[] = [];
const provider: SmsProvider = {
  name: 'twilio', // paced (the sandbox is not)
  sender: '+15550003333',
  async send(msg) {
    sent.push(msg);
    return { sid: `SM${msg.outboxId}`, status: 'queued', from: '+15550003333' };
  },
  async findSent() {
    return null;
  },
};
/** No quiet hours: the batch runs at whatever hour the real clock shows. */
const policy: CompliancePolicy = {
  purposes: {
    transactional: { window: null, maxPer24h: null },
    marketing: { window: null, maxPer24h: 3 },
  },
  regional: [],
};

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let counted: ReturnType<typeof postgres>;
let statements = 0;
beforeAll(async () => {
  database = await createTestDatabase();
  counted = postgres(database.url, { max: 10, onnotice: () => {}, debug: () => void statements++ });
});
afterAll(async () => {
  await counted?.end({ timeout: 5 });
  await database?.close();
});

let seq = 0;
/** A running campaign of `n` guests: the first 3 opted out, the next 2 already texted today (cap 1 a day). */
async function campaignOf(n: number) {
  const db = database.db;
  const list = await createGuestList(db, `l${n}`);
  const phones = Array.from({ length: n }, () => `+1212556${String(seq++).padStart(4, '0')}`);
  const { inserted } = await insertGuests(
    db,
    list.id,
    phones.map((phone) => ({
      phone,
      name: null,
      timezone: 'America/New_York',
      variables: {},
      consent: { source: 'form', at: new Date(), text: 'yes' },
    })),
  );
  for (const phone of phones.slice(0, 3)) await suppress(db, phone, 'opt_out', 'sms');
  for (const phone of phones.slice(3, 5))
    await db.insert(messages).values({
      idempotencyKey: `earlier:${phone}`,
      toPhone: phone,
      body: 'earlier',
      kind: 'checkin',
      purpose: 'transactional',
      provider: 'twilio',
      segments: 1,
      status: 'delivered',
      sentAt: new Date(),
    });
  const c = await createCampaign(db, {
    listId: list.id,
    name: `c${n}`,
    template: 'Hello',
    segmentBudget: 1,
    brand: 'Crewline',
  });
  await prepareRecipients(db, c.id);
  await setCampaignStatus(db, c.id, 'running');
  const byPhone = new Map(inserted.map((g) => [g.phone, g.id]));
  return { id: c.id, guestIds: phones.map((p) => byPhone.get(p)!) };
}

async function sendBatch(campaign: { id: string; guestIds: string[] }) {
  const acts = createCampaignActivities({
    db: drizzle(counted, { schema }),
    sms: provider,
    policy,
    smsPerSecond: 1000, // one wave holds the whole batch (at most 100 texts)
    textsPerDay: 1,
  });
  const before = statements;
  const results: GuestSendResult[] = await activityEnvironment().run(
    (input: Parameters<typeof acts.sendCampaignBatch>[0]) => acts.sendCampaignBatch(input),
    { campaignId: campaign.id, guestIds: campaign.guestIds, concurrency: 4 },
  );
  return { results, statements: statements - before };
}

describe('a campaign send batch', () => {
  it('issues the same number of statements for 100 guests as for 10, with every rule of the gate applied', async () => {
    const small = await campaignOf(10);
    const large = await campaignOf(100);
    const s = await sendBatch(small);
    const l = await sendBatch(large);

    for (const [camp, run, n] of [
      [small, s, 10],
      [large, l, 100],
    ] as const) {
      const outcome = (id: string) => run.results.find((r) => r.guestId === id);
      for (const id of camp.guestIds.slice(0, 3))
        expect(outcome(id)).toMatchObject({ outcome: 'skipped', reason: 'suppressed:opt_out' });
      for (const id of camp.guestIds.slice(3, 5)) expect(outcome(id)).toMatchObject({ outcome: 'held' });
      for (const id of camp.guestIds.slice(5)) expect(outcome(id)).toMatchObject({ outcome: 'sent' });
      const texted = sent.filter((m) => m.idempotencyKey.startsWith(`campaign:${camp.id}:`));
      expect(texted).toHaveLength(n - 5);
      expect(new Set(texted.map((m) => m.idempotencyKey)).size).toBe(n - 5);
      // Every state is in Postgres: sent with its message, held with its reason, skipped with its reason.
      const rows = await database.db
        .select()
        .from(campaignRecipients)
        .where(eq(campaignRecipients.campaignId, camp.id));
      const by = (state: string) => rows.filter((r) => r.state === state);
      expect(by('sent')).toHaveLength(n - 5);
      expect(by('sent').every((r) => r.messageId !== null)).toBe(true);
      expect(by('held').map((r) => r.reason)).toEqual(['daily_cap', 'daily_cap']);
      expect(by('skipped').map((r) => r.reason)).toEqual(Array(3).fill('suppressed:opt_out'));
      const outbox = await database.db
        .select({ status: messages.status, sid: messages.providerSid })
        .from(messages)
        .where(and(eq(messages.campaignId, camp.id), inArray(messages.status, ['queued'])));
      expect(outbox).toHaveLength(n - 5);
      expect(outbox.every((m) => m.sid?.startsWith('SM'))).toBe(true);
    }

    // The per-text path cost ~20 statements a text; a wave's cost does not grow with its size.
    console.log('STATEMENTS', { guests10: s.statements, guests100: l.statements });
    expect(s.statements).toBeGreaterThan(0);
    expect(l.statements, `10 guests: ${s.statements}, 100 guests: ${l.statements}`).toBeLessThanOrEqual(
      s.statements + 2,
    );
    expect(l.statements).toBeLessThan(40);
  });

  it('a retried batch sends nobody twice and costs no more statements than the first run', async () => {
    const camp = await campaignOf(50);
    const first = await sendBatch(camp);
    const textedBefore = sent.length;
    // Temporal's retry of the same batch after a crash that lost the results (the states are already written).
    const again = await sendBatch(camp);
    expect(sent.length).toBe(textedBefore);
    expect(again.results.filter((r) => r.outcome === 'sent')).toHaveLength(45);
    expect(again.statements).toBeLessThanOrEqual(first.statements);
  });

  it('classifies provider failures inside a wave: 21610 fails that guest and suppresses, a 429 is retried and sent once', async () => {
    const camp = await campaignOf(20);
    const phones = new Map<string, string>(); // guest id → phone, from what the provider is asked to text
    let tooMany = 1; // the first create of the 10th guest answers 429 once
    const accepted: OutboundSms[] = [];
    const flaky: SmsProvider = {
      name: 'twilio',
      sender: '+15550004444',
      async send(msg) {
        const guestId = msg.idempotencyKey.split(':')[3]!;
        phones.set(guestId, msg.to);
        if (guestId === camp.guestIds[6]) throw new ProviderError('unsubscribed', 'suppress', 21610, 400);
        if (guestId === camp.guestIds[9] && tooMany-- > 0)
          throw new ProviderError('too many requests', 'transient', 20429, 429);
        accepted.push(msg);
        return { sid: `SM${msg.outboxId}`, status: 'queued', from: '+15550004444' };
      },
      async findSent() {
        return null;
      },
    };
    const acts = createCampaignActivities({
      db: drizzle(counted, { schema }),
      sms: flaky,
      policy,
      smsPerSecond: 1000,
      textsPerDay: 1,
    });
    const run = () =>
      activityEnvironment().run(
        (input: Parameters<typeof acts.sendCampaignBatch>[0]) => acts.sendCampaignBatch(input),
        { campaignId: camp.id, guestIds: camp.guestIds },
      );
    // The 429 fails the batch (Temporal retries it) after the wave's other texts are recorded.
    await expect(run()).rejects.toThrow(/too many requests/);
    const stateOf = async (guestId: string) =>
      (
        await database.db
          .select()
          .from(campaignRecipients)
          .where(and(eq(campaignRecipients.campaignId, camp.id), eq(campaignRecipients.guestId, guestId)))
      )[0]!;
    expect(await stateOf(camp.guestIds[6]!)).toMatchObject({ state: 'failed', reason: 'Provider_suppress' });
    expect((await consentState(database.db, phones.get(camp.guestIds[6]!)!)).suppressed).toContain(
      'carrier_unsubscribed',
    );
    expect(await stateOf(camp.guestIds[9]!)).toMatchObject({ state: 'pending' });
    expect(await stateOf(camp.guestIds[10]!)).toMatchObject({ state: 'sent' });
    expect(accepted).toHaveLength(13); // 20 − 3 opted out − 2 at their cap − the 21610 − the 429

    // The retry: only the guest whose create got the 429 is texted, once; the 21610 guest is never retried.
    const results = (await run()) as GuestSendResult[];
    expect(accepted).toHaveLength(14);
    expect(accepted.at(-1)!.idempotencyKey).toBe(`campaign:${camp.id}:guest:${camp.guestIds[9]}`);
    expect(results.find((r) => r.guestId === camp.guestIds[6])).toMatchObject({ outcome: 'skipped' });
    expect(await stateOf(camp.guestIds[9]!)).toMatchObject({ state: 'sent' });
  });
});
