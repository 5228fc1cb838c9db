/** The REST API against real Postgres and a real Temporal server (time-skipping test server, real worker). */
import { ServiceError, type Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboundMessages, members } from '../../db/schema.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { testApp, auth, json } from '../helpers/app.js';
import type { createTestDatabase } from '../helpers/db.js';
import { timeSkippingStack } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let stack: Awaited<ReturnType<typeof timeSkippingStack>>;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  stack = await timeSkippingStack();
  ({ env, database } = stack);
  app = testApp(database.db, env.client);
});
afterAll(async () => {
  await stack?.close();
});

const valid = { name: 'Ana', phone: '+14155550100', timezone: 'America/New_York', checkInTime: '19:00' };
const post = (body: unknown, headers: Record<string, string> = json) =>
  app.request('/members', {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('authentication', () => {
  it('401 problem+json without a key or with a wrong one; /health needs none', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer nope-nope-nope' },
      { authorization: 'Basic abc' },
    ];
    for (const headers of attempts) {
      const res = await app.request('/members/3f1c2a4e-0000-4000-8000-000000000000', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const health = await app.request('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      postgres: { ok: true },
      temporal: { ok: true },
    });
  });
});

describe('POST /members', () => {
  it('creates the member row and starts member-<id>, whose next prompt is at 19:00 local', async () => {
    const res = await post(valid);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; currentStreak: number };
    expect(res.headers.get('location')).toBe(`/members/${body.id}`);
    expect(body).toMatchObject({ ...valid, currentStreak: 0, status: 'active' });
    const row = await database.db.query.members.findFirst({ where: eq(members.id, body.id) });
    expect(row?.phone).toBe(valid.phone);
    const desc = await env.client.workflow.getHandle(memberWorkflowId(body.id)).describe();
    expect(desc.status.name).toBe('RUNNING');

    const got = await app.request(`/members/${body.id}`, { headers: auth });
    expect(got.status).toBe(200);
    const member = (await got.json()) as { nextPromptAt: string };
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'America/New_York',
      hour: '2-digit',
      minute: '2-digit',
    });
    expect(local.format(new Date(member.nextPromptAt))).toBe('19:00');
  });

  it('400 problem+json naming each invalid field', async () => {
    const res = await post({ name: '', phone: '0044 20 7946', timezone: 'Mars/Olympus', checkInTime: '7pm' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { errors: Array<{ field: string }>; status: number };
    expect(problem.status).toBe(400);
    expect(problem.errors.map((e) => e.field).sort()).toEqual(['checkInTime', 'name', 'phone', 'timezone']);
  });

  it.each([
    ['a missing field', { ...valid, phone: undefined }, 'phone'],
    ['24:00', { ...valid, phone: '+14155550101', checkInTime: '24:00' }, 'checkInTime'],
    ['an unknown tone', { ...valid, phone: '+14155550102', tone: 'sarcastic' }, 'tone'],
  ])('400 for %s', async (_name, body, field) => {
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: Array<{ field: string }> }).errors[0]?.field).toBe(field);
  });

  it('400 for a body that is not JSON', async () => {
    const res = await post('{"name":');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('409 when the phone number is already registered, and nothing else is written', async () => {
    const first = await post({ ...valid, phone: '+14155550110' });
    expect(first.status).toBe(201);
    const before = await database.db.select().from(members);
    const res = await post({ ...valid, name: 'Someone else', phone: '+14155550110' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { errors: Array<{ field: string }> }).errors[0]?.field).toBe('phone');
    expect(await database.db.select().from(members)).toHaveLength(before.length);
  });

  it('rolls the row back when the workflow cannot be started (Temporal down): nothing half-written', async () => {
    const broken = {
      workflow: {
        start: () => Promise.reject(new ServiceError('14 UNAVAILABLE: connection refused')),
        getHandle: env.client.workflow.getHandle.bind(env.client.workflow),
      },
    } as unknown as Client;
    const res = await testApp(database.db, broken).request('/members', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ ...valid, phone: '+14155550120' }),
    });
    expect(res.status).toBe(503);
    expect(await database.db.select().from(members).where(eq(members.phone, '+14155550120'))).toHaveLength(0);
  });
});

describe('GET /members/:id', () => {
  it('404 for an unknown member, 400 for an id that is not a UUID', async () => {
    const missing = await app.request('/members/3f1c2a4e-0000-4000-8000-000000000000', { headers: auth });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    const bad = await app.request('/members/42', { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Array<{ field: string }> }).errors[0]?.field).toBe('id');
  });
});

describe('POST /webhooks/twilio/sms (sandbox: no Twilio credentials)', () => {
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

  it('stores an inbound once however often Twilio retries it, and answers TwiML', async () => {
    const created = (await (await post({ ...valid, phone: '+14155550130' })).json()) as { id: string };
    const fields = { MessageSid: 'SM_retry_1', From: '+14155550130', To: '+15005550006', Body: 'Y' };
    for (let i = 0; i < 3; i++) {
      const res = await app.request('/webhooks/twilio/sms', form(fields));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/xml');
      expect(await res.text()).toContain('<Response>');
    }
    const rows = await database.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.providerSid, 'SM_retry_1'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      memberId: created.id,
      routeStatus: 'routed',
      routedTo: memberWorkflowId(created.id),
    });
    // The workflow got the signal exactly once.
    const history = await env.client.workflow.getHandle(memberWorkflowId(created.id)).fetchHistory();
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
    expect(signals).toHaveLength(1);
  });

  it('keeps a message from an unknown number as unrouted', async () => {
    const res = await app.request(
      '/webhooks/twilio/sms',
      form({ MessageSid: 'SM_unknown', From: '+19995550000', To: '+15005550006', Body: 'hi' }),
    );
    expect(res.status).toBe(200);
    const [row] = await database.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.providerSid, 'SM_unknown'));
    expect(row?.routeStatus).toBe('unrouted');
  });

  it('400 naming the field when Twilio form fields are missing', async () => {
    const res = await app.request('/webhooks/twilio/sms', form({ From: '+14155550130', Body: 'Y' }));
    expect(res.status).toBe(400);
  });
});

describe('GET /dev/outbox', () => {
  it('lists what the sandbox provider "sent"', async () => {
    const created = (await (await post({ ...valid, phone: '+14155550140' })).json()) as { id: string };
    // An unclear reply makes the workflow answer at once, through the sandbox provider.
    await app.request('/webhooks/twilio/sms', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        MessageSid: 'SM_outbox_1',
        From: '+14155550140',
        To: '+1500',
        Body: 'hello?',
      }).toString(),
    });
    const outbox = await waitFor(async () => {
      const res = await app.request(`/dev/outbox?memberId=${created.id}`, { headers: auth });
      const body = (await res.json()) as { messages: Array<{ kind: string; to: string; status: string }> };
      return body.messages[0]?.status === 'delivered' && body.messages;
    }, 'sandbox message');
    expect(outbox[0]).toMatchObject({ kind: 'clarify', to: '+14155550140', status: 'delivered' });
  });
});
