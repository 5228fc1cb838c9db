/**
 * A campaign text that fails for carrier filtering (30007) or an unreachable handset (30003) is retried once from
 * the second sender (TWILIO_SECONDARY_FROM): real Postgres, the time-skipping server and the real workers, the
 * official twilio SDK against the fake Twilio, status callbacks signed as Twilio signs them and posted in shuffled
 * order, late, repeated, and before the send activity has even linked the guest to its message.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createTwilioProvider } from '../../activities/sms/twilio.js';
import { messages } from '../../db/schema.js';
import { createWorkers, type Workers } from '../../worker/worker.js';
import { guestCampaignWorkflowId } from '../../workflows/ids.js';
import { startFakeTwilio, type FakeMessage, type FakeTwilio } from '../fakes/twilio.js';
import { json, testApp } from '../helpers/app.js';
import { captureHistory } from '../helpers/histories.js';
import { createTestDatabase } from '../helpers/db.js';
import { skipTo, timeSkippingEnv, waitFor } from '../helpers/temporal.js';

const PUBLIC = 'https://crewline.example.com';
const PRIMARY = '+15005550006';
const SECOND = '+15005550009';
let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeTwilio;
let worker: Workers;
let running: Promise<void>;
/** The API with the second sender configured, and one without (the same worker: the API decides the retry). */
let app: ReturnType<typeof testApp>;
let appWithout: ReturnType<typeof testApp>;

beforeAll(async () => {
  [env, database, fake] = await Promise.all([timeSkippingEnv(), createTestDatabase(), startFakeTwilio()]);
  const twilio = { accountSid: fake.accountSid, authToken: fake.authToken, apiBaseUrl: fake.baseUrl };
  worker = await createWorkers({
    connection: env.nativeConnection,
    activities: createActivities({
      db: database.db,
      sms: createTwilioProvider({ ...twilio, from: PRIMARY, publicBaseUrl: PUBLIC }),
      secondarySms: createTwilioProvider({ ...twilio, from: SECOND, publicBaseUrl: PUBLIC }),
    }),
    smsPerSecond: 1000,
  });
  running = worker.run();
  app = testApp(database.db, env.client, {
    twilio: { ...twilio, from: PRIMARY, secondaryFrom: SECOND },
    publicBaseUrl: PUBLIC,
  });
  appWithout = testApp(database.db, env.client, {
    twilio: { ...twilio, from: PRIMARY },
    publicBaseUrl: PUBLIC,
  });
  await skipTo(env, '2027-04-06T15:00:00Z'); // 11:00 in New York: inside marketing hours
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.close();
  await fake?.close();
});

type App = typeof app;
const call = async <T = Record<string, unknown>>(a: App, method: string, path: string, body?: unknown) => {
  const res = await a.request(path, {
    method,
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
};

interface Recipient {
  guestId: string;
  state: string;
  reason: string | null;
  messageId: number | null;
  messageStatus: string | null;
  errorCode: number | null;
  sender: 'primary' | 'secondary';
}

const consent = { source: 'web form', at: '2026-11-01T10:00:00Z', text: 'Text me about the gala' };
let seq = 0;
const newPhone = () => `+1212555${String(4000 + seq++).padStart(4, '0')}`;

/** A started campaign to these numbers; resolves when its first run has completed. */
async function campaign(a: App, phones: string[], opts: { wait?: boolean } = {}) {
  const list = await call<{ id: string }>(a, 'POST', '/guest-lists', { name: 'Gala' });
  const imported = await call<{ imported: number }>(a, 'POST', `/guest-lists/${list.body.id}/guests`, {
    guests: phones.map((phone, i) => ({ phone, name: `Guest${i}`, timezone: 'America/New_York', consent })),
  });
  expect(imported.body.imported).toBe(phones.length);
  const c = await call<{ id: string }>(a, 'POST', '/campaigns', {
    listId: list.body.id,
    name: 'Gala',
    template: 'Doors open at 7, {{name}}',
  });
  expect(c.status).toBe(201);
  const started = await call(a, 'POST', `/campaigns/${c.body.id}/start`, {});
  expect(started.status).toBe(202);
  if (opts.wait !== false) await completed(a, c.body.id, phones.length);
  return c.body.id;
}

async function completed(a: App, id: string, sentFromAnySender: number) {
  await waitFor(
    async () => {
      const c = await call<{ status: string }>(a, 'GET', `/campaigns/${id}`);
      const p = await call<{ byState: Record<string, number> }>(a, 'GET', `/campaigns/${id}/progress`);
      return c.body.status === 'completed' && p.body.byState.sent === sentFromAnySender;
    },
    `campaign ${id} completed`,
    30_000,
  );
}

async function recipients(a: App, id: string): Promise<Map<string, Recipient>> {
  const res = await call<{ recipients: Recipient[] }>(a, 'GET', `/campaigns/${id}/recipients?limit=500`);
  expect(res.status).toBe(200);
  const phones = await database.db.select({ id: messages.id, to: messages.toPhone }).from(messages);
  const phoneOf = new Map(phones.map((m) => [m.id, m.to]));
  const out = new Map<string, Recipient>();
  for (const r of res.body.recipients) out.set(phoneOf.get(r.messageId!) ?? r.guestId, r);
  return out;
}

/** Twilio's status callback for `m`, signed over our public URL, posted to the given API. */
async function report(a: App, m: FakeMessage, status: string, errorCode?: number) {
  const params: Record<string, string> = {
    AccountSid: fake.accountSid,
    ApiVersion: '2010-04-01',
    ...(m.from ? { From: m.from } : {}),
    MessageSid: m.sid,
    MessageStatus: status,
    SmsSid: m.sid,
    SmsStatus: status,
    To: m.to,
    ...(errorCode !== undefined ? { ErrorCode: String(errorCode) } : {}),
  };
  const url = m.statusCallback!;
  expect(url.startsWith(`${PUBLIC}/webhooks/twilio/status`)).toBe(true);
  const res = await a.request(url.slice(PUBLIC.length), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': fake.signInbound(url, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  expect(res.status).toBe(204);
}

const from = (to: string, sender: string) => fake.byTo(to).filter((m) => m.from === sender);
const only = (to: string, sender: string) => {
  const list = from(to, sender);
  expect(list, `${to} from ${sender}`).toHaveLength(1);
  return list[0]!;
};

describe('second sender', () => {
  it('retries 30007/30003 once from the second sender, whatever the order of the callbacks; never after delivered, never for 30005, never a third time', async () => {
    const [filtered, unreachable, lateAfterDelivered, unknown, delivered] = [1, 2, 3, 4, 5].map(newPhone) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const id = await campaign(app, [filtered, unreachable, lateAfterDelivered, unknown, delivered]);
    for (const p of [filtered, unreachable, lateAfterDelivered, unknown, delivered]) only(p, PRIMARY);

    // Shuffled: the failure first, then the earlier statuses it overtook.
    const f1 = only(filtered, PRIMARY);
    await report(app, f1, 'undelivered', 30007);
    await report(app, f1, 'sent');
    await report(app, f1, 'queued');
    // The same failure reported twice (Twilio's retry, or two API processes).
    const u1 = only(unreachable, PRIMARY);
    await report(app, u1, 'sent');
    await report(app, u1, 'undelivered', 30003);
    await report(app, u1, 'undelivered', 30003);
    // Delivered first; a late (stale) failure never moves it back.
    const d1 = only(lateAfterDelivered, PRIMARY);
    await report(app, d1, 'delivered');
    await report(app, d1, 'undelivered', 30003);
    // Unknown number: marked (and suppressed as invalid), not retried.
    await report(app, only(unknown, PRIMARY), 'undelivered', 30005);
    await report(app, only(delivered, PRIMARY), 'delivered');

    await waitFor(
      () => from(filtered, SECOND).length === 1 && from(unreachable, SECOND).length === 1,
      'the two retries from the second sender',
      30_000,
    );
    await completed(app, id, 5);
    // The run the failures started after the campaign had completed (signal-with-start).
    await captureHistory(
      'guest-campaign-second-sender',
      env.client.workflow.getHandle(guestCampaignWorkflowId(id)),
    );
    const second = only(filtered, SECOND);
    expect(second.body).toBe(f1.body); // the same text, from the other number
    expect(only(unreachable, SECOND).body).toBe(u1.body);

    let r = await recipients(app, id);
    expect(r.get(filtered)).toMatchObject({
      state: 'sent',
      sender: 'secondary',
      reason: 'second_sender:30007',
    });
    expect(r.get(unreachable)).toMatchObject({
      state: 'sent',
      sender: 'secondary',
      reason: 'second_sender:30003',
    });
    expect(r.get(lateAfterDelivered)).toMatchObject({
      state: 'sent',
      sender: 'primary',
      reason: null,
      messageStatus: 'delivered',
    });
    expect(r.get(unknown)).toMatchObject({
      state: 'sent',
      sender: 'primary',
      reason: 'undelivered:30005',
      messageStatus: 'undelivered',
      errorCode: 30005,
    });
    expect(r.get(delivered)).toMatchObject({ sender: 'primary', reason: null, messageStatus: 'delivered' });

    // The second text fails too (and the first text's callbacks keep coming): marked, never a third send.
    await report(app, second, 'undelivered', 30007);
    await report(app, f1, 'undelivered', 30007);
    await report(app, only(unreachable, SECOND), 'delivered');
    r = await recipients(app, id);
    expect(r.get(filtered)).toMatchObject({
      state: 'sent',
      sender: 'secondary',
      reason: 'undelivered:30007',
      messageStatus: 'undelivered',
    });
    expect(r.get(unreachable)).toMatchObject({ messageStatus: 'delivered', sender: 'secondary' });
    const c = await call<{ status: string }>(app, 'GET', `/campaigns/${id}`);
    expect(c.body.status).toBe('completed');
    await new Promise((res) => setTimeout(res, 1_000));
    for (const p of [filtered, unreachable, lateAfterDelivered, unknown, delivered])
      expect(fake.byTo(p), p).toHaveLength([filtered, unreachable].includes(p) ? 2 : 1);
    // One outbox row per guest and sender, under the business keys.
    const keys = await database.db
      .select({ key: messages.idempotencyKey })
      .from(messages)
      .where(eq(messages.campaignId, id));
    expect(keys.filter((k) => k.key.endsWith(':second-sender'))).toHaveLength(2);
  });

  it('a failure reported before the send activity linked the guest to its message is still retried', async () => {
    const early = newPhone();
    // The fake stores the text at once but answers the create only 3 s later: the callback comes first.
    fake.slowAcceptNext(1, 3_000);
    const id = await campaign(app, [early], { wait: false });
    const first = await waitFor(() => from(early, PRIMARY)[0], 'the text stored at the fake');
    await report(app, first, 'undelivered', 30007);
    await waitFor(() => from(early, SECOND).length === 1, 'the retry from the second sender', 30_000);
    await completed(app, id, 1);
    // The send activity put the guest back while the run was still sending: its next look found them.
    await captureHistory(
      'guest-campaign-second-sender-live',
      env.client.workflow.getHandle(guestCampaignWorkflowId(id)),
    );
    const r = await recipients(app, id);
    expect(r.get(early)).toMatchObject({ state: 'sent', sender: 'secondary', reason: 'second_sender:30007' });
    expect(fake.byTo(early)).toHaveLength(2);
  });

  it('without a second sender the guest is marked with the code and not retried', async () => {
    const p = newPhone();
    const id = await campaign(appWithout, [p]);
    await report(appWithout, only(p, PRIMARY), 'undelivered', 30007);
    const r = await recipients(appWithout, id);
    expect(r.get(p)).toMatchObject({
      state: 'sent',
      sender: 'primary',
      reason: 'undelivered:30007',
      errorCode: 30007,
    });
    await new Promise((res) => setTimeout(res, 1_000));
    expect(fake.byTo(p)).toHaveLength(1);
    const c = await call<{ status: string }>(appWithout, 'GET', `/campaigns/${id}`);
    expect(c.body.status).toBe('completed');
  });
});
