/** The REST API against real Postgres and a real Temporal server (time-skipping test server, real worker). */
import { ServiceError, type Client } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { inboundMessages, members } from '../../db/schema.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { welcomeText } from '../../workflows/member/texts.js';
import { memberStateQuery } from '../../workflows/member/definitions.js';
import { MEMBER_ID_SA, MEMBER_STATUS_SA, RISK_LEVEL_SA } from '../../workflows/member/search-attributes.js';
import { testApp, auth, json } from '../helpers/app.js';
import { confirmMember, newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

/** The time-skipping server, a fresh database, the real workers and the app over them (helpers/stack.ts). */
const t = stackWithApp();

const valid = { name: 'Ana', phone: '+14155550100', timezone: 'America/New_York', checkInTime: '19:00' };
const post = (body: unknown, headers: Record<string, string> = json) =>
  t.app.request('/members', {
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
      const res = await t.app.request('/members/3f1c2a4e-0000-4000-8000-000000000000', { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const health = await t.app.request('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      postgres: { ok: true },
      temporal: { ok: true },
    });
  });
});

interface OutboxJson {
  messages: Array<{ kind: string; to: string; body: string; status: string }>;
}
const outbox = async (memberId: string) =>
  ((await (await t.app.request(`/dev/outbox?memberId=${memberId}`, { headers: auth })).json()) as OutboxJson)
    .messages;
const getMember = async (id: string) =>
  (await (await t.app.request(`/members/${id}`, { headers: auth })).json()) as {
    status: string;
    nextPromptAt: string | null;
  };

describe('POST /members', () => {
  it('creates the member row and starts member-<id>: a welcome text, nothing else until YES, then prompts at 19:00 local', async () => {
    const res = await post(valid);
    expect(res.status).toBe(201);
    const body = (await res.json()) as { id: string; currentStreak: number };
    expect(res.headers.get('location')).toBe(`/members/${body.id}`);
    expect(body).toMatchObject({ ...valid, currentStreak: 0, status: 'pending_confirmation', risk: 'low' });
    const row = await t.database.db.query.members.findFirst({ where: eq(members.id, body.id) });
    expect(row).toMatchObject({ phone: valid.phone, status: 'pending_confirmation' });
    const handle = t.env.client.workflow.getHandle(memberWorkflowId(body.id));
    const desc = await handle.describe();
    expect(desc.status.name).toBe('RUNNING');
    // Searchable in the Web UI from the start.
    expect(desc.typedSearchAttributes.get(MEMBER_ID_SA)).toBe(body.id);
    expect(desc.typedSearchAttributes.get(MEMBER_STATUS_SA)).toBe('pending_confirmation');
    expect(desc.typedSearchAttributes.get(RISK_LEVEL_SA)).toBe('low');

    // The welcome asks for YES; no prompt is scheduled yet.
    const welcome = await waitFor(
      async () => (await outbox(body.id)).find((m) => m.kind === 'welcome'),
      'the welcome text',
    );
    expect(welcome).toMatchObject({ to: valid.phone, body: welcomeText('19:00') });
    expect(await getMember(body.id)).toMatchObject({ status: 'pending_confirmation', nextPromptAt: null });
    expect((await handle.query(memberStateQuery)).status).toBe('pending_confirmation');

    // YES by SMS → active, the row too, and the first prompt is at 19:00 New York time.
    await confirmMember(t.env.client, { id: body.id, phone: valid.phone }, sandboxInbound(t.app));
    await waitFor(
      async () =>
        (await t.database.db.query.members.findFirst({ where: eq(members.id, body.id) }))?.status ===
        'active',
      'the member row to be active',
    );
    const member = await getMember(body.id);
    expect(member.status).toBe('active');
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'America/New_York',
      hour: '2-digit',
      minute: '2-digit',
    });
    expect(local.format(new Date(member.nextPromptAt!))).toBe('19:00');
    await waitFor(
      async () => (await outbox(body.id)).some((m) => m.kind === 'confirmed'),
      'the confirmation text',
    );
    expect((await outbox(body.id)).filter((m) => m.kind === 'checkin_prompt')).toHaveLength(0);
  });

  it('anything but YES while pending gets a hint, and the member stays pending', async () => {
    const phone = '+14155550150';
    const created = (await (await post({ ...valid, phone })).json()) as { id: string };
    await sandboxInbound(t.app)({
      MessageSid: newMessageSid(),
      From: phone,
      To: OUR_NUMBER,
      Body: 'what is this?',
    });
    await waitFor(
      async () => (await outbox(created.id)).some((m) => m.kind === 'confirm_hint'),
      'the "Reply YES" hint',
    );
    expect((await getMember(created.id)).status).toBe('pending_confirmation');
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
    const before = await t.database.db.select().from(members);
    const res = await post({ ...valid, name: 'Someone else', phone: '+14155550110' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { errors: Array<{ field: string }> }).errors[0]?.field).toBe('phone');
    expect(await t.database.db.select().from(members)).toHaveLength(before.length);
  });

  it('rolls the row back when the workflow cannot be started (Temporal down): nothing half-written', async () => {
    const broken = {
      workflow: {
        start: () => Promise.reject(new ServiceError('14 UNAVAILABLE: connection refused')),
        getHandle: t.env.client.workflow.getHandle.bind(t.env.client.workflow),
      },
    } as unknown as Client;
    const res = await testApp(t.database.db, broken).request('/members', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ ...valid, phone: '+14155550120' }),
    });
    expect(res.status).toBe(503);
    expect(await t.database.db.select().from(members).where(eq(members.phone, '+14155550120'))).toHaveLength(
      0,
    );
  });
});

describe('GET /members (list)', () => {
  it('filters by risk and status from Postgres, newest first, with a cursor', async () => {
    const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 0, minutes));
    const row = (n: number, riskLevel: 'low' | 'medium' | 'high', status: 'active' | 'paused') => ({
      id: `00000000-0000-4000-8000-00000000000${n}`,
      name: `R${n}`,
      phone: `+1415555090${n}`,
      timezone: 'UTC',
      checkInTime: '09:00',
      riskLevel,
      status,
      createdAt: at(n),
    });
    await t.database.db
      .insert(members)
      .values([
        row(1, 'high', 'active'),
        row(2, 'high', 'paused'),
        row(3, 'high', 'active'),
        row(4, 'medium', 'active'),
        row(5, 'high', 'active'),
      ]);
    const list = async (query: string) => {
      const res = await t.app.request(`/members?${query}`, { headers: auth });
      expect(res.status).toBe(200);
      return (await res.json()) as {
        members: Array<{ id: string; name: string; risk: string; status: string }>;
        nextBefore: string | null;
      };
    };
    const page1 = await list('risk=high&status=active&limit=2');
    expect(page1.members.map((m) => m.id.slice(-1))).toEqual(['5', '3']);
    expect(page1.members[0]).toMatchObject({ risk: 'high', status: 'active', name: 'R5' });
    const page2 = await list(`risk=high&status=active&limit=2&before=${page1.nextBefore}`);
    expect(page2.members.map((m) => m.id.slice(-1))).toEqual(['1']);
    expect(page2.nextBefore).toBeNull();
    expect((await list('risk=medium')).members.map((m) => m.name)).toEqual(['R4']);

    // Members created through the API wait for their YES.
    const pending = await list('status=pending_confirmation&limit=100');
    expect(pending.members.length).toBeGreaterThan(0);
    expect(pending.members.every((m) => m.status === 'pending_confirmation')).toBe(true);

    const bad = await t.app.request('/members?risk=extreme', { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: Array<{ field: string }> }).errors[0]?.field).toBe('risk');
  });
});

describe('GET /members/:id', () => {
  it('404 for an unknown member, 400 for an id that is not a UUID', async () => {
    const missing = await t.app.request('/members/3f1c2a4e-0000-4000-8000-000000000000', { headers: auth });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    const bad = await t.app.request('/members/42', { headers: auth });
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
      const res = await t.app.request('/webhooks/twilio/sms', form(fields));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/xml');
      expect(await res.text()).toContain('<Response>');
    }
    const rows = await t.database.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.providerSid, 'SM_retry_1'));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      memberId: created.id,
      routeStatus: 'routed',
      routedTo: memberWorkflowId(created.id),
    });
    // The workflow got the signal exactly once. (A signal that arrives while a workflow task is running — the
    // new member's welcome — enters the history when that task completes, so wait for it, then look again.)
    const signalsInHistory = async () => {
      const history = await t.env.client.workflow.getHandle(memberWorkflowId(created.id)).fetchHistory();
      return (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes);
    };
    await waitFor(async () => (await signalsInHistory()).length > 0, 'the reply signal in the history');
    await new Promise((r) => setTimeout(r, 500));
    expect(await signalsInHistory()).toHaveLength(1);
  });

  it('keeps a message from an unknown number as unrouted', async () => {
    const res = await t.app.request(
      '/webhooks/twilio/sms',
      form({ MessageSid: 'SM_unknown', From: '+19995550000', To: '+15005550006', Body: 'hi' }),
    );
    expect(res.status).toBe(200);
    const [row] = await t.database.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.providerSid, 'SM_unknown'));
    expect(row?.routeStatus).toBe('unrouted');
  });

  it('400 naming the field when Twilio form fields are missing', async () => {
    const res = await t.app.request('/webhooks/twilio/sms', form({ From: '+14155550130', Body: 'Y' }));
    expect(res.status).toBe(400);
  });
});

describe('GET /dev/outbox', () => {
  it('lists what the sandbox provider "sent"', async () => {
    const created = (await (await post({ ...valid, phone: '+14155550140' })).json()) as { id: string };
    await confirmMember(t.env.client, { id: created.id, phone: '+14155550140' }, sandboxInbound(t.app));
    // An unclear reply makes the workflow answer at once, through the sandbox provider.
    await t.app.request('/webhooks/twilio/sms', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        MessageSid: 'SM_outbox_1',
        From: '+14155550140',
        To: '+1500',
        Body: 'hello?',
      }).toString(),
    });
    const sent = await waitFor(async () => {
      const messages = await outbox(created.id);
      return messages[0]?.kind === 'clarify' && messages[0].status === 'delivered' && messages;
    }, 'sandbox message');
    expect(sent[0]).toMatchObject({ kind: 'clarify', to: '+14155550140', status: 'delivered' });
    // Newest first: the clarification, the confirmation, the welcome.
    expect(sent.map((m) => m.kind)).toEqual(['clarify', 'confirmed', 'welcome']);
  });
});
