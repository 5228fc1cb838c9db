/**
 * Issue 13, metrics: after an end-to-end run — real workers and activities, the official twilio SDK against the
 * fake Twilio on loopback, signed webhooks through the real app — the worker's /metrics (WORKER_APP_METRICS_ADDRESS,
 * worker/metrics.ts) and the API's GET /metrics expose the named series with the right labels, and they move:
 * a welcome and a check-in prompt sent, replies received and routed (with their webhook-to-workflow latency), the
 * acknowledgement sent, a send refused by Twilio with 21610 counted with that code, pacing lag observed.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createApp } from '../../api/app.js';
import { listen } from '../../api/server.js';
import { freePort } from '../../worker/infra.js';
import { createWorkerRegistry, serveMetrics, type MetricsServer } from '../../worker/metrics.js';
import { createSmsProvider } from '../../worker/sms.js';
import { createWorkers, type Workers } from '../../worker/worker.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { API_KEY, BRAND } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { confirmMember, newMessageSid, OUR_NUMBER } from '../helpers/members.js';
import { skipTo, timeSkippingEnv, waitFor } from '../helpers/temporal.js';
import { hasSeries, valueOf } from './metrics-text.js';

const PHONE = '+14155550142';
const BLOCKED = '+14155550143';
const TZ = 'America/New_York';

let fake: FakeTwilio;
let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: Workers;
let running: Promise<void>;
let http: Awaited<ReturnType<typeof listen>>;
let workerMetrics: MetricsServer;

beforeAll(async () => {
  [fake, env, database] = await Promise.all([startFakeTwilio(), timeSkippingEnv(), createTestDatabase()]);
  const port = await freePort();
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  const twilio = {
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    from: OUR_NUMBER,
    apiBaseUrl: fake.baseUrl,
  };
  const metrics = createWorkerRegistry({ processMetrics: true });
  workerMetrics = await serveMetrics(metrics.registry, '127.0.0.1:0');
  worker = await createWorkers({
    connection: env.nativeConnection,
    activities: createActivities({
      db: database.db,
      sms: createSmsProvider({ twilio, publicBaseUrl }),
      smsPerSecond: 1000,
      metrics,
    }),
    smsPerSecond: 1000,
  });
  running = worker.run();
  const app = createApp({
    db: database.db,
    temporal: env.client,
    logger: pino({ level: 'silent' }),
    config: { apiKeys: [API_KEY], publicBaseUrl, twilio, brand: BRAND, processMetrics: true },
  });
  http = await listen(app, port, '127.0.0.1');
}, 120_000);

afterAll(async () => {
  await http?.close();
  worker?.shutdown();
  await running;
  await workerMetrics?.close();
  await env?.teardown();
  await database?.close();
  await fake?.close();
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${http.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...init.headers },
  });
const apiMetrics = async () => {
  const res = await api('/metrics');
  expect(res.status).toBe(200);
  return res.text();
};
const workerText = async () => {
  const res = await fetch(workerMetrics.url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return res.text();
};
const sent = (text: string, kind: string) => valueOf(text, 'crewline_sms_sent_total', { kind });
const inboundWebhook = (params: { From: string; Body: string }) =>
  fake.postInbound(`${http.url}/webhooks/twilio/sms`, {
    ...params,
    To: OUR_NUMBER,
    MessageSid: newMessageSid(),
  });

it('SMS, inbound, pacing and HTTP series appear with their labels and move with what happened', async () => {
  const before = await workerText();
  expect(sent(before, 'welcome')).toBe(0);
  expect(hasSeries(before, 'crewline_worker_process_resident_memory_bytes')).toBe(true);

  // A member: the welcome goes out through Twilio.
  const created = await api('/members', {
    method: 'POST',
    body: JSON.stringify({ name: 'Ana', phone: PHONE, timezone: TZ, checkInTime: '19:00' }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  await waitFor(async () => sent(await workerText(), 'welcome') === 1, 'the welcome counted as sent');

  // YES by a signed webhook: routed to the workflow, its latency observed, the confirmation sent.
  await confirmMember(env.client, { id, phone: PHONE }, inboundWebhook);
  let text = await apiMetrics();
  expect(
    valueOf(text, 'crewline_inbound_routed_total', { via: 'webhook', kind: 'message', outcome: 'routed' }),
  ).toBe(1);
  expect(
    valueOf(text, 'crewline_inbound_to_workflow_seconds_count', { via: 'webhook', kind: 'message' }),
  ).toBe(1);
  expect(
    valueOf(text, 'crewline_http_requests_total', {
      method: 'POST',
      route: '/webhooks/twilio/sms',
      status: '200',
    }),
  ).toBe(1);
  expect(hasSeries(text, 'crewline_http_request_duration_seconds_bucket', { route: '/members' })).toBe(true);

  // The check-in prompt at 19:00 local time.
  const member = (await (await api(`/members/${id}`)).json()) as { nextPromptAt: string };
  expect(sent(await workerText(), 'checkin_prompt')).toBe(0);
  await skipTo(env, new Date(Date.parse(member.nextPromptAt) + 60_000));
  await waitFor(async () => sent(await workerText(), 'checkin_prompt') === 1, 'the prompt counted as sent');

  // The reply: routed, and the acknowledgement counted.
  expect((await inboundWebhook({ From: PHONE, Body: 'Y' })).status).toBe(200);
  await waitFor(
    async () => sent(await workerText(), 'checkin_ack') === 1,
    'the acknowledgement counted as sent',
  );
  text = await apiMetrics();
  expect(
    valueOf(text, 'crewline_inbound_routed_total', { via: 'webhook', kind: 'message', outcome: 'routed' }),
  ).toBe(2);
  expect(valueOf(text, 'crewline_inbound_to_workflow_seconds_count', { via: 'webhook' })).toBe(2);

  // Twilio refuses a number that opted out with it (21610): counted as failed, with the code and its class.
  fake.failFor(BLOCKED, { status: 400, code: 21610 });
  const blocked = await api('/members', {
    method: 'POST',
    body: JSON.stringify({ name: 'Bo', phone: BLOCKED, timezone: TZ, checkInTime: '19:00' }),
  });
  expect(blocked.status).toBe(201);
  const failed = await waitFor(async () => {
    const t = await workerText();
    return valueOf(t, 'crewline_sms_failed_total', { kind: 'welcome', code: '21610' }) === 1 && t;
  }, 'the 21610 failure counted');
  expect(hasSeries(failed, 'crewline_sms_failed_total', { failure_class: 'suppress' })).toBe(true);
  expect(
    valueOf(failed, 'crewline_sms_provider_errors_total', { code: '21610', failure_class: 'suppress' }),
  ).toBe(1);
  // Every text Twilio accepted is counted once as sent, none to the blocked number.
  expect(fake.byTo(BLOCKED)).toHaveLength(0);
  expect(valueOf(failed, 'crewline_sms_sent_total')).toBe(fake.messages.length);
  // Every send was paced: one lag observation per send that reached Twilio.
  expect(valueOf(failed, 'crewline_sms_pacing_lag_seconds_count')).toBe(fake.creates);

  // No label carries a phone number or an id.
  for (const t of [failed, await apiMetrics()]) {
    expect(t).not.toContain(PHONE.slice(1));
    expect(t).not.toContain(BLOCKED.slice(1));
    expect(t).not.toContain(id);
  }
}, 180_000);
