/**
 * The first campaign test: 1,000 guests in four zones (New York, Florida, Chicago, Los Angeles) on the
 * time-skipping server with the real activities, real Postgres and the official twilio SDK against the fake
 * Twilio. Started before 08:00 everywhere: every guest is held (quiet hours), released at 08:00 in their own zone;
 * Florida guests who already had 3 marketing texts in the last 24 h are held by the 3-per-24 h rule until the
 * oldest of those is 24 h old; a pause (no text starts after the reply but the batches in flight), a rate change
 * while paused and another while running, a resume, and a cancel while Los Angeles is still held. Then every
 * guest's texts are checked one by one: exactly one text with its own name for those due, none for the others.
 */
import { Client, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createTwilioProvider } from '../../activities/sms/twilio.js';
import { THROUGHPUT } from '../../workflows/guest-campaign/pacing.js';
import {
  createCampaign,
  createGuestList,
  insertGuests,
  setCampaignRate,
  type GuestInput,
} from '../../db/campaigns.js';
import { campaignRecipients, guests, messages } from '../../db/schema.js';
import { createWorkers, type Workers } from '../../worker/worker.js';
import {
  cancelUpdate,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  setRateUpdate,
} from '../../workflows/guest-campaign/definitions.js';
import { guestCampaignWorkflow } from '../../workflows/guest-campaign/workflow.js';
import { guestCampaignWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { createTestDatabase } from '../helpers/db.js';
import { skipTo, timeSkippingEnv, waitFor } from '../helpers/temporal.js';

const PUBLIC = 'https://crewline.example.com';
const FROM = '+15005550006';
let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeTwilio;
let worker: Workers;
let running: Promise<void>;
/** A plain client: time moves only through skipTo(). */
let client: Client;

beforeAll(async () => {
  [env, database, fake] = await Promise.all([timeSkippingEnv(), createTestDatabase(), startFakeTwilio()]);
  worker = await createWorkers({
    connection: env.nativeConnection,
    activities: createActivities({
      db: database.db,
      sms: createTwilioProvider({
        accountSid: fake.accountSid,
        authToken: fake.authToken,
        from: FROM,
        apiBaseUrl: fake.baseUrl,
        publicBaseUrl: PUBLIC,
      }),
      // Paced as in production, so the campaign's own rate is what spaces its texts.
      smsPerSecond: 1000,
    }),
    smsPerSecond: 1000,
  });
  running = worker.run();
  client = new Client({ connection: env.connection });
}, 120_000);
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.close();
  await fake?.close();
});

type Zone = 'ny' | 'fl' | 'chi' | 'la';
const ZONES: Record<Zone, { area: string; timezone: string; eightLocalUtc: string }> = {
  // Tuesday 6 April 2027: EDT (UTC−4), CDT (UTC−5), PDT (UTC−7).
  ny: { area: '212', timezone: 'America/New_York', eightLocalUtc: '2027-04-06T12:00:00Z' },
  fl: { area: '305', timezone: 'America/New_York', eightLocalUtc: '2027-04-06T12:00:00Z' },
  chi: { area: '312', timezone: 'America/Chicago', eightLocalUtc: '2027-04-06T13:00:00Z' },
  la: { area: '213', timezone: 'America/Los_Angeles', eightLocalUtc: '2027-04-06T15:00:00Z' },
};
const PER_ZONE = 250;
/** Florida guests who already had 3 marketing texts in the last 24 h (the oldest at 14:00Z the day before). */
const CAPPED = 50;
const CAP_ENDS = '2027-04-06T14:00:00Z';
const consent = { source: 'rsvp form', at: new Date('2026-11-01T10:00:00Z'), text: 'Text me about the gala' };

interface Guest extends GuestInput {
  zone: Zone;
  capped: boolean;
}

const guestList: Guest[] = (Object.keys(ZONES) as Zone[]).flatMap((zone) =>
  Array.from({ length: PER_ZONE }, (_, i) => ({
    zone,
    capped: zone === 'fl' && i < CAPPED,
    phone: `+1${ZONES[zone].area}555${String(1000 + i).padStart(4, '0')}`,
    name: `${zone.toUpperCase()}${i}`,
    timezone: ZONES[zone].timezone,
    variables: {},
    consent,
  })),
);
const textFor = (g: Guest) => `Crewline: Doors open at 7, ${g.name}. Reply STOP to opt out.`;

/** waitFor, failing with what the workflow, Postgres and the fake Twilio say at that moment. */
async function until<T>(
  h: WorkflowHandle<typeof guestCampaignWorkflow>,
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
): Promise<T> {
  try {
    return await waitFor(fn, what, 180_000);
  } catch (err) {
    const progress = await h.query(progressQuery).catch((e: unknown) => String(e));
    const states = await database.db.execute(
      sql`select state, reason, count(*)::int as n from campaign_recipients group by 1, 2 order by 1, 2`,
    );
    throw new Error(
      `${(err as Error).message}: texts ${fake.messages.length}, progress ${JSON.stringify(progress)}, ` +
        `recipients ${JSON.stringify([...states])}`,
      { cause: err },
    );
  }
}

/** Texts the fake Twilio accepted for this campaign's numbers, by phone. */
const acceptedByPhone = () => {
  const by = new Map<string, string[]>();
  for (const m of fake.messages) by.set(m.to, [...(by.get(m.to) ?? []), m.body]);
  return by;
};

describe('a 1,000-guest campaign across four zones', () => {
  it('holds quiet hours and Florida’s cap, releases at 08:00 local, pauses, changes rate, resumes and cancels — exactly the expected texts', async () => {
    await skipTo(env, '2027-04-06T11:30:00Z'); // 07:30 New York, 06:30 Chicago, 04:30 Los Angeles
    const db = database.db;
    // Florida's 3 marketing texts in the last 24 h, for the capped guests (from another campaign).
    await db.insert(messages).values(
      guestList
        .filter((g) => g.capped)
        .flatMap((g) =>
          ['2027-04-05T14:00:00Z', '2027-04-05T15:00:00Z', '2027-04-05T16:00:00Z'].map((at, k) => ({
            idempotencyKey: `earlier:${g.phone}:${k}`,
            toPhone: g.phone,
            body: 'Earlier offer',
            kind: 'campaign',
            purpose: 'marketing' as const,
            provider: 'twilio' as const,
            providerSid: `SMearlier${g.phone.slice(1)}${k}`,
            status: 'delivered',
            sentAt: new Date(at),
          })),
        ),
    );
    const list = await createGuestList(db, 'Gala');
    await insertGuests(db, list.id, guestList);
    const c = await createCampaign(db, {
      listId: list.id,
      name: 'Gala',
      template: 'Doors open at 7, {{name}}.',
      segmentBudget: 1,
      brand: 'Crewline',
    });
    // The campaign's own rate lives in its row, as `POST /campaigns` with `rateMps` stores it (the send activity
    // reads it before every text); the workflow input only carries it for the progress view.
    await setCampaignRate(db, c.id, 10);
    const h: WorkflowHandle<typeof guestCampaignWorkflow> = await client.workflow.start(
      guestCampaignWorkflow,
      {
        taskQueue: TASK_QUEUE,
        workflowId: guestCampaignWorkflowId(c.id),
        args: [{ campaignId: c.id, rateMps: 10, batchSize: 25, lanes: 4 }],
      },
    );

    // 1. Before 08:00 anywhere: all 1,000 held for quiet hours, nothing sent; the wake is 08:00 in New York.
    const held = await until(
      h,
      async () => {
        const p = await h.query(progressQuery);
        return p.counts.holds === 1000 && p.nextWakeAtMs !== null && p;
      },
      'all held',
    );
    expect(new Date(held.nextWakeAtMs!).toISOString()).toBe('2027-04-06T12:00:00.000Z');
    expect(fake.messages).toHaveLength(0);

    // 2. 08:00 in New York and Florida: their 450 uncapped guests are due, at 10/s. Pause once some have gone.
    await skipTo(env, '2027-04-06T12:00:30Z');
    await until(h, () => fake.messages.length >= 60, 'the first New York/Florida texts');
    const paused = await h.executeUpdate(pauseUpdate);
    const atPause = fake.messages.length;
    expect(paused.status).toBe('paused');
    // A batch in flight stops before its next text: at most the texts each batch in flight had under way
    // (up to THROUGHPUT.sendConcurrency each).
    await new Promise((r) => setTimeout(r, 2_000));
    const afterPause = fake.messages.length;
    expect(afterPause - atPause).toBeLessThanOrEqual(paused.inFlightBatches * THROUGHPUT.sendConcurrency);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(fake.messages.length).toBe(afterPause); // and then nothing while paused
    expect(450 - afterPause, 'paused at 10/s with enough left to see the next rate').toBeGreaterThan(41);

    // 3. The rate changed while paused (no restart): 20/s after the resume, so 41 texts are spaced over ≥ 2 s
    //    (less half a second for a late first one); at 400/s they would take a tenth of that.
    expect((await h.executeUpdate(setRateUpdate, { args: [{ mps: 20 }] })).rateMps).toBe(20);
    await h.executeUpdate(resumeUpdate);
    await until(h, () => fake.messages.length >= afterPause + 41, '41 texts at 20/s');
    const slow = fake.acceptedAt.slice(afterPause, afterPause + 41);
    expect(slow.at(-1)! - slow[0]!).toBeGreaterThanOrEqual(40 * 50 - 500);
    // 4. And changed again while running: the rest goes at 400/s.
    expect((await h.executeUpdate(setRateUpdate, { args: [{ mps: 400 }] })).rateMps).toBe(400);
    const nyFl = await until(
      h,
      async () => {
        const p = await h.query(progressQuery);
        return p.nextWakeAtMs !== null && fake.messages.length === 450 && p;
      },
      'New York and uncapped Florida sent, asleep until Chicago',
    );
    expect(new Date(nyFl.nextWakeAtMs!).toISOString()).toBe('2027-04-06T13:00:00.000Z');

    // 5. 08:00 in Chicago.
    await skipTo(env, '2027-04-06T13:00:30Z');
    const chi = await until(
      h,
      async () => {
        const p = await h.query(progressQuery);
        return p.nextWakeAtMs !== null && fake.messages.length === 700 && p;
      },
      'Chicago sent; asleep until Florida’s cap ends',
    );
    expect(new Date(chi.nextWakeAtMs!).toISOString()).toBe(new Date(CAP_ENDS).toISOString());

    // 6. Florida's cap ends for the 50 capped guests (10:00 local, inside Florida's 08:00–20:00).
    await skipTo(env, '2027-04-06T14:00:30Z');
    const afterCap = await until(
      h,
      async () => {
        const p = await h.query(progressQuery);
        return p.nextWakeAtMs !== null && fake.messages.length === 750 && p;
      },
      'capped Florida sent; asleep until Los Angeles',
    );
    expect(new Date(afterCap.nextWakeAtMs!).toISOString()).toBe('2027-04-06T15:00:00.000Z');

    // 7. Cancelled while Los Angeles is still held (04:00–07:59 there): for good.
    const cancelled = await h.executeUpdate(cancelUpdate);
    expect(cancelled.status).toBe('cancelled');
    expect((await h.result()).status).toBe('cancelled');
    await skipTo(env, '2027-04-06T15:30:00Z');
    await new Promise((r) => setTimeout(r, 1_000));

    // Per guest: exactly the expected texts, at the expected times, with the expected state.
    const byPhone = acceptedByPhone();
    const rows = await db
      .select({
        phone: guests.phone,
        state: campaignRecipients.state,
        reason: campaignRecipients.reason,
        sentAt: messages.sentAt,
      })
      .from(campaignRecipients)
      .innerJoin(guests, eq(guests.id, campaignRecipients.guestId))
      .leftJoin(messages, eq(messages.id, campaignRecipients.messageId))
      .where(eq(campaignRecipients.campaignId, c.id));
    const rowOf = new Map(rows.map((r) => [r.phone, r]));
    expect(rows).toHaveLength(1000);
    for (const g of guestList) {
      const texts = byPhone.get(g.phone) ?? [];
      const row = rowOf.get(g.phone)!;
      if (g.zone === 'la') {
        expect(texts, g.name!).toEqual([]);
        expect(row, g.name!).toMatchObject({ state: 'held', reason: 'quiet_hours', sentAt: null });
        continue;
      }
      expect(texts, g.name!).toEqual([textFor(g)]);
      expect(row.state, g.name!).toBe('sent');
      const earliest = g.capped ? CAP_ENDS : ZONES[g.zone].eightLocalUtc;
      expect(row.sentAt!.getTime(), `${g.name} at ${row.sentAt!.toISOString()}`).toBeGreaterThanOrEqual(
        Date.parse(earliest),
      );
    }
    expect(fake.messages.every((m) => m.from === FROM && m.validityPeriod <= 36_000)).toBe(true);
  }, 600_000);
});
