/**
 * Issue 13, traces: a signature-checked inbound webhook through the real app produces ONE trace whose spans link
 * the HTTP request → the Temporal client's signal to the member workflow → the workflow's handling of it → the
 * acknowledgement's send activity (scheduled by the workflow, run by the worker). The process's tracer provider
 * exports into memory (worker/tracing.ts `startTracing` with a test span processor); everything else — client
 * interceptor, workflow interceptor module and span sink, activity interceptors — is what production runs with
 * OTEL_EXPORTER_OTLP_ENDPOINT set. The reply is the member's YES, which the workflow acknowledges with the
 * confirmation text. The real dev server, not the time-skipping one: the Java test server drops signal headers,
 * so the workflow could not see the signal's trace context there.
 */
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { eq } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createApp } from '../../api/app.js';
import { drainInbox, ingestInbound } from '../../api/inbound.js';
import { listen } from '../../api/server.js';
import { messages } from '../../db/schema.js';
import { freePort } from '../../worker/infra.js';
import { createSmsProvider } from '../../worker/sms.js';
import {
  startTracing,
  tracingClientInterceptors,
  tracingWorkerOptions,
  type Tracing,
} from '../../worker/tracing.js';
import { createWorkers, type Workers } from '../../worker/worker.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { API_KEY, BRAND } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { confirmMember, newMessageSid, OUR_NUMBER } from '../helpers/members.js';
import { devServerEnv, waitFor } from '../helpers/temporal.js';

const PHONE = '+14155550177';
const TZ = 'America/New_York';

const exported = new InMemorySpanExporter();
let tracing: Tracing;
let fake: FakeTwilio;
let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: Workers;
let running: Promise<void>;
let http: Awaited<ReturnType<typeof listen>>;
let temporal: Client;
let memberId: string;

beforeAll(async () => {
  tracing = startTracing('crewline-test', { spanProcessor: new SimpleSpanProcessor(exported) });
  [fake, env, database] = await Promise.all([startFakeTwilio(), devServerEnv(), createTestDatabase()]);
  const port = await freePort();
  const publicBaseUrl = `http://127.0.0.1:${port}`;
  const twilio = {
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    from: OUR_NUMBER,
    apiBaseUrl: fake.baseUrl,
  };
  worker = await createWorkers({
    connection: env.nativeConnection,
    activities: createActivities({ db: database.db, sms: createSmsProvider({ twilio, publicBaseUrl }) }),
    smsPerSecond: 1000,
    tracing: tracingWorkerOptions(tracing),
  });
  running = worker.run();
  temporal = new Client({
    connection: env.connection,
    namespace: env.namespace ?? 'default',
    interceptors: tracingClientInterceptors(),
  });
  const app = createApp({
    db: database.db,
    temporal,
    logger: pino({ level: 'silent' }),
    config: {
      apiKeys: [API_KEY],
      publicBaseUrl,
      twilio,
      brand: BRAND,
      tracing: { endpoint: 'http://127.0.0.1:4318' },
    },
  });
  http = await listen(app, port, '127.0.0.1');
}, 120_000);

afterAll(async () => {
  await http?.close();
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.close();
  await fake?.close();
  await tracing?.shutdown();
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${http.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...init.headers },
  });
const inboundWebhook = (params: { From: string; Body: string }) =>
  fake.postInbound(`${http.url}/webhooks/twilio/sms`, {
    ...params,
    To: OUR_NUMBER,
    MessageSid: newMessageSid(),
  });

const childrenOf = (spans: ReadableSpan[], parent: ReadableSpan) =>
  spans.filter((s) => s.parentSpanId === parent.spanContext().spanId);

it('webhook → signal → workflow handling → acknowledgement send, in one trace', async () => {
  const created = await api('/members', {
    method: 'POST',
    body: JSON.stringify({ name: 'Ana', phone: PHONE, timezone: TZ, checkInTime: '19:00' }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  memberId = id;
  await waitFor(() => fake.byTo(PHONE).length === 1, 'the welcome at Twilio');

  // The member's YES, signed by "Twilio"; the workflow acknowledges it with the confirmation text.
  await confirmMember(env.client, { id, phone: PHONE }, inboundWebhook);
  const ack = await waitFor(async () => {
    const [row] = await database.db
      .select()
      .from(messages)
      .where(eq(messages.idempotencyKey, `member:${id}:confirmed`));
    return row?.providerSid ? row : false;
  }, 'the acknowledgement sent');
  expect(fake.byTo(PHONE).some((m) => m.body === ack.body)).toBe(true);

  // The webhook request: a server span named by the route pattern, root of the reply's trace.
  const { webhook, trace } = await waitFor(async () => {
    await tracing.spanProcessor.forceFlush();
    const all = exported.getFinishedSpans();
    const webhook = all.find((s) => s.name === 'POST /webhooks/twilio/sms');
    if (!webhook) return false;
    const trace = all.filter((s) => s.spanContext().traceId === webhook.spanContext().traceId);
    // Workflow spans leave the sandbox after their activation: StartActivity ends once the activity has finished.
    const done = ['RunActivity:sendSms', 'StartActivity:sendSms', 'HandleSignal:reply'].every((name) =>
      trace.some((s) => s.name === name),
    );
    return done && { webhook, trace };
  }, 'the reply trace with the send activity');
  const names = trace.map((s) => s.name).join(', ');
  expect(webhook.parentSpanId).toBeUndefined();
  expect(webhook.attributes['http.route']).toBe('/webhooks/twilio/sms');
  expect(webhook.attributes['http.response.status_code']).toBe(200);

  // → the client's signal to the member workflow, as a child of the request.
  const signal = childrenOf(trace, webhook).find((s) => s.name === 'SignalWorkflow:reply');
  expect(signal, names).toBeDefined();
  expect(signal!.attributes['temporalWorkflowId']).toBe(memberWorkflowId(id));
  // → the workflow's handling of that signal.
  const handled = childrenOf(trace, signal!).find((s) => s.name === 'HandleSignal:reply');
  expect(handled, names).toBeDefined();
  // → the acknowledgement's send, scheduled inside that handling (after the status write) and run by the worker.
  const scheduled = childrenOf(trace, handled!).map((s) => s.name);
  expect(scheduled).toContain('StartActivity:sendSms');
  const start = childrenOf(trace, handled!).find((s) => s.name === 'StartActivity:sendSms')!;
  expect(childrenOf(trace, start).map((s) => s.name)).toEqual(['RunActivity:sendSms']);
  // Exactly one send in this trace: the acknowledgement (the welcome belongs to the POST /members trace).
  expect(trace.filter((s) => s.name === 'RunActivity:sendSms')).toHaveLength(1);

  // The span tree carries no phone number, name or text.
  const dump = JSON.stringify(
    trace.map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })),
  );
  expect(dump).not.toContain(PHONE.slice(2));
  expect(dump).not.toContain('Ana');
  expect(dump).not.toContain(ack.body.slice(0, 20));
}, 180_000);

it('a text the inbox drainer delivers later stays in the trace of the webhook that stored it', async () => {
  expect(memberId).toBeDefined();
  // The webhook stored the text but could not signal (Temporal unreachable): its request span is over.
  const request = trace.getTracer('test').startSpan('POST /webhooks/twilio/sms (Temporal down)');
  const { row } = await context.with(trace.setSpan(context.active(), request), () =>
    ingestInbound(database.db, { messageSid: newMessageSid(), from: PHONE, to: OUR_NUMBER, body: 'hello' }),
  );
  request.end();
  expect(row.routeStatus).toBe('pending');
  expect(row.traceparent).toContain(request.spanContext().traceId);

  // Later, outside any request, the drainer routes it.
  const { routed } = await drainInbox({ db: database.db, temporal, brand: BRAND }, { olderThanMs: -60_000 });
  expect(routed).toBe(1);
  const { signal, handled } = await waitFor(async () => {
    await tracing.spanProcessor.forceFlush();
    const inTrace = exported
      .getFinishedSpans()
      .filter((s) => s.spanContext().traceId === request.spanContext().traceId);
    const signal = inTrace.find((s) => s.name === 'SignalWorkflow:reply');
    const handled = signal && childrenOf(inTrace, signal).find((s) => s.name === 'HandleSignal:reply');
    return handled && { signal, handled };
  }, "the drainer's signal and its handling in the webhook's trace");
  expect(signal.parentSpanId).toBe(request.spanContext().spanId);
  expect(signal.attributes['temporalWorkflowId']).toBe(memberWorkflowId(memberId));
  expect(handled.parentSpanId).toBe(signal.spanContext().spanId);
}, 120_000);
