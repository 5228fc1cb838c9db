/**
 * Sending guest campaigns on the time-skipping server with the real activities (real Postgres, the real
 * messaging core) and a recording provider: "each guest at HH:MM in their own zone" (DST-correct, held until
 * then, never outside the send window or quiet hours), the ValidityPeriod that ends where the guest's quiet hours
 * begin, and the rate changed while the campaign runs.
 */
import { Client, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboundSms, SmsProvider } from '../../activities/sms/provider.js';
import { createCampaign, createGuestList, insertGuests, type GuestInput } from '../../db/campaigns.js';
import { campaignRecipients, campaigns, messages } from '../../db/schema.js';
import {
  cancelUpdate,
  progressQuery,
  setRateUpdate,
  type GuestCampaignInput,
} from '../../workflows/guest-campaign/definitions.js';
import { guestCampaignWorkflow } from '../../workflows/guest-campaign/workflow.js';
import { guestCampaignWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { timeSkippingStack, type TimeSkippingStack } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

const accepted: OutboundSms[] = [];
const provider: SmsProvider = {
  name: 'sandbox',
  sender: 'fake',
  async send(msg) {
    accepted.push(msg);
    return { sid: `SMfake${msg.outboxId}`, status: 'sent', from: null };
  },
  async findSent(msg) {
    const found = accepted.find((a) => a.idempotencyKey === msg.idempotencyKey);
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
    phone: `+1${area}555${String(2000 + seq++).padStart(4, '0')}`,
    name: `G${seq}`,
    timezone,
    variables: {},
    consent: withConsent ? consent : null,
  };
}
const tokyoGuest = (): GuestInput => ({
  phone: `+8190${String(22340000 + seq++)}`,
  name: `T${seq}`,
  timezone: 'Asia/Tokyo',
  variables: {},
  consent,
});

async function campaignFor(list: GuestInput[]) {
  const db = stack.database.db;
  const l = await createGuestList(db, 'list');
  await insertGuests(db, l.id, list);
  return createCampaign(db, {
    listId: l.id,
    name: 'c',
    template: 'Doors open, {{name}}',
    segmentBudget: 1,
    brand: 'Crewline',
  });
}

function start(input: GuestCampaignInput) {
  return client.workflow.start(guestCampaignWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: guestCampaignWorkflowId(input.campaignId),
    args: [input],
  });
}

/** When each guest's text was sent (the outbox's send instant) and the ValidityPeriod it carried. */
async function sends(campaignId: string) {
  const rows = await stack.database.db
    .select({ to: messages.toPhone, sentAt: messages.sentAt, validity: messages.validitySeconds })
    .from(messages)
    .where(eq(messages.campaignId, campaignId));
  const byPhone = new Map(rows.map((r) => [r.to, r]));
  const provided = accepted.filter((a) => a.idempotencyKey.startsWith(`campaign:${campaignId}:`));
  return { byPhone, provided };
}

const near = (actual: Date | null | undefined, expected: string) => {
  expect(actual).toBeTruthy();
  const d = actual!.getTime() - Date.parse(expected);
  expect(d, `${actual!.toISOString()} vs ${expected}`).toBeGreaterThanOrEqual(0);
  expect(d, `${actual!.toISOString()} vs ${expected}`).toBeLessThan(60_000);
};

describe('guest campaign sending', () => {
  it('each guest at 12:00 in their own zone on the day New York springs forward, valid until their quiet hours', async () => {
    await skipTo(stack.env, '2027-03-13T12:00:00Z');
    const ny = guest('212', 'America/New_York');
    const fl = guest('305', 'America/New_York'); // Florida (FTSA): 08:00–20:00
    const chi = guest('312', 'America/Chicago');
    const la = guest('213', 'America/Los_Angeles');
    const tokyo = tokyoGuest();
    const none = guest('212', 'America/New_York', false);
    const c = await campaignFor([ny, fl, chi, la, tokyo, none]);
    const h = await start({ campaignId: c.id, sendAtLocal: { date: '2027-03-14', time: '12:00' } });
    await waitFor(async () => (await h.query(progressQuery)).nextWakeAtMs !== null, 'the first local time');
    const before = await h.query(progressQuery);
    expect(before.status).toBe('scheduled');
    expect(new Date(before.nextWakeAtMs!).toISOString()).toBe('2027-03-14T03:00:00.000Z'); // noon in Tokyo
    const held = await stack.database.db
      .select({ state: campaignRecipients.state, reason: campaignRecipients.reason })
      .from(campaignRecipients)
      .where(eq(campaignRecipients.campaignId, c.id));
    expect(held.filter((r) => r.state === 'held' && r.reason === 'local_time')).toHaveLength(5);
    expect(held).toContainEqual({ state: 'skipped', reason: 'no_consent' });
    expect(accepted.filter((a) => a.idempotencyKey.startsWith(`campaign:${c.id}:`))).toHaveLength(0);

    await skipTo(stack.env, '2027-03-14T19:01:00Z');
    const result = await h.result();
    expect(result.status).toBe('completed');
    expect(result.counts).toMatchObject({ sent: 5, skipped: { no_consent: 1 }, failed: 0 });
    const { byPhone, provided } = await sends(c.id);
    expect(provided.map((p) => p.to).sort()).toEqual([ny, fl, chi, la, tokyo].map((g) => g.phone).sort());
    // 12:00 local: EDT/CDT/PDT in America (the change was at 02:00 that morning), JST in Tokyo.
    near(byPhone.get(tokyo.phone)?.sentAt, '2027-03-14T03:00:00Z');
    near(byPhone.get(ny.phone)?.sentAt, '2027-03-14T16:00:00Z');
    near(byPhone.get(fl.phone)?.sentAt, '2027-03-14T16:00:00Z');
    near(byPhone.get(chi.phone)?.sentAt, '2027-03-14T17:00:00Z');
    near(byPhone.get(la.phone)?.sentAt, '2027-03-14T19:00:00Z');
    // ValidityPeriod = the seconds until the guest's quiet hours begin: 21:00 (9 h), Florida 20:00 (8 h).
    const validity = (phone: string) => provided.find((p) => p.to === phone)?.validitySeconds;
    expect(validity(ny.phone)).toBeLessThanOrEqual(9 * 3600);
    expect(validity(ny.phone)).toBeGreaterThan(9 * 3600 - 60);
    expect(validity(fl.phone)).toBeLessThanOrEqual(8 * 3600);
    expect(validity(fl.phone)).toBeGreaterThan(8 * 3600 - 60);
    expect(validity(tokyo.phone)).toBeGreaterThan(9 * 3600 - 60);
    expect(byPhone.get(fl.phone)?.validity).toBe(validity(fl.phone));
    await captureHistory('guest-campaign-local-time', h);
  });

  it('a local time late in the evening: inside the window it goes with a short validity; Florida is held to the next window', async () => {
    await skipTo(stack.env, '2027-03-16T12:00:00Z');
    const ny = guest('212', 'America/New_York');
    const fl = guest('305', 'America/New_York');
    const c = await campaignFor([ny, fl]);
    const h = await start({
      campaignId: c.id,
      sendAtLocal: { date: '2027-03-16', time: '20:45', window: { start: '09:00', end: '21:00' } },
    });
    await skipTo(stack.env, '2027-03-17T13:01:00Z');
    const result = await h.result();
    expect(result.counts.sent).toBe(2);
    const { byPhone, provided } = await sends(c.id);
    near(byPhone.get(ny.phone)?.sentAt, '2027-03-17T00:45:00Z'); // 20:45 EDT
    near(byPhone.get(fl.phone)?.sentAt, '2027-03-17T13:00:00Z'); // 09:00 EDT next day: FL ends at 20:00
    const validity = (phone: string) => provided.find((p) => p.to === phone)!.validitySeconds!;
    expect(validity(ny.phone)).toBeLessThanOrEqual(15 * 60); // until 21:00
    expect(validity(ny.phone)).toBeGreaterThan(14 * 60);
    expect(validity(fl.phone)).toBeLessThanOrEqual(36_000); // 11 h to 20:00, capped at Twilio's 10 h queue
    expect(validity(fl.phone)).toBeGreaterThan(36_000 - 60);
    // Nobody was texted outside 09:00–20:00/21:00 local.
    for (const p of [ny.phone, fl.phone]) {
      const local = new Intl.DateTimeFormat('en-US', {
        timeZone: 'America/New_York',
        hour: 'numeric',
        hourCycle: 'h23',
      }).format(byPhone.get(p)!.sentAt!);
      expect(Number(local)).toBeGreaterThanOrEqual(9);
      expect(Number(local)).toBeLessThan(p === fl.phone ? 20 : 21);
    }
  });

  it('the rate changes on a live campaign without a restart (validated 0.1 to the sender MPS), kept in Postgres', async () => {
    await skipTo(stack.env, '2027-03-18T12:00:00Z');
    const c = await campaignFor([guest('212', 'America/New_York')]);
    const h: WorkflowHandle<typeof guestCampaignWorkflow> = await start({
      campaignId: c.id,
      sendAtLocal: { date: '2027-03-19', time: '10:00' },
      maxRateMps: 100,
    });
    await waitFor(async () => (await h.query(progressQuery)).status === 'scheduled', 'scheduled');
    for (const mps of [0.05, 100.5, Number.NaN]) {
      const err = await h.executeUpdate(setRateUpdate, { args: [{ mps }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((err as Error).cause)).toContain('mps');
    }
    const changed = await h.executeUpdate(setRateUpdate, { args: [{ mps: 2.5 }] });
    expect(changed.rateMps).toBe(2.5);
    expect((await h.query(progressQuery)).rateMps).toBe(2.5);
    const [row] = await stack.database.db
      .select({ rate: campaigns.rateMps })
      .from(campaigns)
      .where(eq(campaigns.id, c.id));
    expect(row?.rate).toBe(2.5);
    await h.executeUpdate(cancelUpdate);
    expect((await h.result()).status).toBe('cancelled');
    const late = await h.executeUpdate(setRateUpdate, { args: [{ mps: 1 }] }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(Error); // a finished campaign takes no rate
    const texted = await stack.database.db
      .select()
      .from(messages)
      .where(and(eq(messages.campaignId, c.id)));
    expect(texted).toHaveLength(0);
  });

  it('continue-as-new mid-campaign (forced every 2 rounds): no guest doubled or skipped, counts carried over', async () => {
    await skipTo(stack.env, '2027-03-20T15:00:00Z'); // 11:00 in New York
    const list = Array.from({ length: 24 }, () => guest('212', 'America/New_York'));
    list.push(guest('212', 'America/New_York', false));
    const c = await campaignFor(list);
    const h = await start({ campaignId: c.id, batchSize: 2, lanes: 2, roundsPerRun: 2, rateMps: 7 });
    const result = await h.result(); // follows the chain of runs
    expect(result.status).toBe('completed');
    expect(result.counts).toMatchObject({ sent: 24, skipped: { no_consent: 1 }, failed: 0 });
    expect(result.rateMps).toBe(7);
    const { provided } = await sends(c.id);
    expect(provided.map((p) => p.to).sort()).toEqual(
      list
        .slice(0, 24)
        .map((g) => g.phone)
        .sort(),
    );
    // 24 guests, 4 a round, 2 rounds a run: the campaign went through several runs.
    const last = await client.workflow.getHandle(h.workflowId).describe();
    expect(last.runId).not.toBe(h.firstExecutionRunId);
    const first = await client.workflow.getHandle(h.workflowId, h.firstExecutionRunId).describe();
    expect(first.status.name).toBe('CONTINUED_AS_NEW');
  });
});
