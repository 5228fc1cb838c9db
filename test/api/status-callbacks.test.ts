/**
 * Twilio status callbacks (sandbox mode: unsigned) against real Postgres. Twilio does not guarantee their order;
 * the message's status only moves forward, every report is kept in its timeline, and error codes that say
 * something about the number suppress it.
 */
import type { Client } from '@temporalio/client';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages, messageStatusEvents, suppressions } from '../../db/schema.js';
import { auth, json, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let app: ReturnType<typeof testApp>;

/** Status callbacks and the read APIs never talk to Temporal. */
const noTemporal = {} as Client;

beforeAll(async () => {
  database = await createTestDatabase();
  app = testApp(database.db, noTemporal);
});
afterAll(async () => {
  await database?.close();
});

let seq = 0;
const nextPhone = () => `+1415555${String(1000 + seq).slice(-4)}`;

async function outbound(opts: { providerSid: string | null; status?: string; to?: string }) {
  seq++;
  const [row] = await database.db
    .insert(messages)
    .values({
      idempotencyKey: `status-test:${seq}`,
      toPhone: opts.to ?? nextPhone(),
      body: `Crewline check-in #${seq}`,
      kind: 'checkin_prompt',
      provider: 'twilio',
      providerSid: opts.providerSid,
      status: opts.status ?? 'accepted',
      sentAt: new Date(),
    })
    .returning();
  return row!;
}

function callback(
  fields: { MessageSid?: string; MessageStatus?: string; ErrorCode?: string; To?: string },
  query = '',
) {
  const params: Record<string, string> = {
    AccountSid: 'AC00000000000000000000000000000001',
    ApiVersion: '2010-04-01',
    From: '+15005550006',
  };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) params[k] = v;
  if (params.MessageSid) params.SmsSid = params.MessageSid;
  if (params.MessageStatus) params.SmsStatus = params.MessageStatus;
  return app.request(`/webhooks/twilio/status${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
}

interface Timeline {
  status: string;
  errorCode: number | null;
  providerSid: string | null;
  timeline: Array<{ status: string; applied?: boolean; errorCode?: number | null; at: string }>;
}

async function getMessage(id: number): Promise<Timeline> {
  const res = await app.request(`/messages/${id}`, { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as Timeline;
}

async function consent(phone: string) {
  const res = await app.request(`/consent/${encodeURIComponent(phone)}`, { headers: auth });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    state: { suppressed: string[]; transactional: boolean; marketing: boolean };
    events: Array<{
      purpose: string;
      action: string;
      source: string;
      changed: boolean;
      evidence: Record<string, unknown>;
    }>;
  };
}

const totalEvents = async () => (await database.db.select({ n: count() }).from(messageStatusEvents))[0]!.n;
const totalSuppressions = async () => (await database.db.select({ n: count() }).from(suppressions))[0]!.n;

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

/** The order a message goes through; a report counts only if it is further along than everything before it. */
const LIFECYCLE = ['queued', 'sending', 'sent', 'delivered'];
function expectedApplied(order: string[]): boolean[] {
  let best = -1;
  return order.map((s) => {
    const i = LIFECYCLE.indexOf(s);
    if (i > best) {
      best = i;
      return true;
    }
    return false;
  });
}

describe('out-of-order delivery reports', () => {
  const orders = [
    ...permutations(['queued', 'sent', 'delivered']),
    ...permutations(['queued', 'sending', 'sent', 'delivered']),
  ];

  it.each(orders.map((o) => [o.join(' → '), o] as const))(
    '%s ends delivered, with every report in the timeline',
    async (_name, order) => {
      const sid = `SM_order_${seq + 1}_${order.join('_')}`;
      const row = await outbound({ providerSid: sid });
      for (const status of order) {
        const res = await callback({ MessageSid: sid, MessageStatus: status, To: row.toPhone });
        expect(res.status).toBe(204);
      }
      const m = await getMessage(row.id);
      expect(m.status).toBe('delivered');
      expect(m.timeline[0]?.status).toBe('created');
      expect(m.timeline.slice(1).map((e) => [e.status, e.applied])).toEqual(
        order.map((s, i) => [s, expectedApplied(order)[i]]),
      );
      const times = m.timeline.map((e) => Date.parse(e.at));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    },
  );

  it('a late "sent" after "delivered" does not overwrite it, but is kept as not applied', async () => {
    const row = await outbound({ providerSid: 'SM_late_sent', status: 'queued' });
    expect((await callback({ MessageSid: 'SM_late_sent', MessageStatus: 'delivered' })).status).toBe(204);
    expect((await callback({ MessageSid: 'SM_late_sent', MessageStatus: 'sent' })).status).toBe(204);
    const m = await getMessage(row.id);
    expect(m.status).toBe('delivered');
    expect(m.timeline.map((e) => [e.status, e.applied])).toEqual([
      ['created', undefined],
      ['delivered', true],
      ['sent', false],
    ]);
    // And the list view agrees.
    const list = await app.request(`/messages?status=sent`, { headers: auth });
    const ids = ((await list.json()) as { messages: Array<{ id: number }> }).messages.map((x) => x.id);
    expect(ids).not.toContain(row.id);
  });

  it('reports arriving at the same time still end at the furthest status', async () => {
    const sid = 'SM_concurrent';
    const row = await outbound({ providerSid: sid });
    const statuses = ['delivered', 'sent', 'queued', 'sending', 'sent', 'delivered'];
    const results = await Promise.all(
      statuses.map(async (s) => callback({ MessageSid: sid, MessageStatus: s })),
    );
    expect(results.map((r) => r.status)).toEqual(statuses.map(() => 204));
    const m = await getMessage(row.id);
    expect(m.status).toBe('delivered');
    expect(m.timeline).toHaveLength(statuses.length + 1);
    // Exactly one "delivered" moved the status there.
    expect(m.timeline.filter((e) => e.status === 'delivered' && e.applied)).toHaveLength(1);
  });
});

describe('partially_delivered (some parts of a multi-part text reached the handset)', () => {
  it('is applied after sent, is not overwritten by a late sent, and a later delivered still wins', async () => {
    const row = await outbound({ providerSid: 'SM_partial', status: 'queued' });
    expect((await callback({ MessageSid: 'SM_partial', MessageStatus: 'sent' })).status).toBe(204);
    expect((await callback({ MessageSid: 'SM_partial', MessageStatus: 'partially_delivered' })).status).toBe(
      204,
    );
    expect((await getMessage(row.id)).status).toBe('partially_delivered');
    expect((await callback({ MessageSid: 'SM_partial', MessageStatus: 'sent' })).status).toBe(204);
    expect((await getMessage(row.id)).status).toBe('partially_delivered');
    expect((await callback({ MessageSid: 'SM_partial', MessageStatus: 'delivered' })).status).toBe(204);
    const m = await getMessage(row.id);
    expect(m.status).toBe('delivered');
    expect(m.timeline.map((e) => [e.status, e.applied])).toEqual([
      ['created', undefined],
      ['sent', true],
      ['partially_delivered', true],
      ['sent', false],
      ['delivered', true],
    ]);
  });
});

describe('hostile callbacks', () => {
  it('a NUL byte in the sid or an outboxId beyond any bigint is a 204 that changes nothing, never a 500', async () => {
    const before = await totalEvents();
    for (const query of ['?outboxId=99999999999999999999999', '?outboxId=-1', '?outboxId=1e3']) {
      const res = await callback({ MessageSid: 'SM\u0000nul', MessageStatus: 'delivered' }, query);
      expect(res.status).toBe(204);
    }
    expect(await totalEvents()).toBe(before);
    const weird = await callback({ MessageSid: 'SM_x', MessageStatus: 'delivered', ErrorCode: '1e99' });
    expect(weird.status).toBe(400);
  });
});

describe('error codes that say something about the number', () => {
  it('undelivered with 30006 (landline/unreachable) suppresses the number as invalid_number', async () => {
    const phone = '+14155557001';
    const row = await outbound({ providerSid: 'SM_30006', status: 'queued', to: phone });
    expect((await consent(phone)).state.suppressed).toEqual([]);
    await callback({ MessageSid: 'SM_30006', MessageStatus: 'sent' });
    await callback({ MessageSid: 'SM_30006', MessageStatus: 'undelivered', ErrorCode: '30006' });
    const m = await getMessage(row.id);
    expect(m.status).toBe('undelivered');
    expect(m.errorCode).toBe(30006);
    expect(m.timeline.at(-1)).toMatchObject({ status: 'undelivered', errorCode: 30006, applied: true });
    const c = await consent(phone);
    expect(c.state.suppressed).toEqual(['invalid_number']);
    expect(c.state.transactional).toBe(false);
  });

  it('21610 (recipient unsubscribed at the carrier) suppresses it as carrier_unsubscribed and is in the ledger', async () => {
    const phone = '+14155557002';
    const optIn = await app.request('/consent', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ phone, purpose: 'marketing', action: 'opt_in', evidence: 'web form' }),
    });
    expect(optIn.status).toBe(201);
    expect((await consent(phone)).state.marketing).toBe(true);

    const row = await outbound({ providerSid: 'SM_21610', status: 'queued', to: phone });
    // Twilio may deliver the same callback more than once.
    for (let i = 0; i < 2; i++) {
      const res = await callback({ MessageSid: 'SM_21610', MessageStatus: 'failed', ErrorCode: '21610' });
      expect(res.status).toBe(204);
    }
    let c = await consent(phone);
    expect(c.state).toMatchObject({
      suppressed: ['carrier_unsubscribed'],
      transactional: false,
      marketing: false,
    });
    expect(c.events.map((e) => [e.purpose, e.action, e.source, e.changed])).toEqual([
      ['marketing', 'opt_in', 'api', true],
      ['all', 'opt_out', 'carrier', true],
    ]);
    expect(c.events[1]!.evidence).toMatchObject({ messageId: row.id, errorCode: 21610 });

    // Opting back in lifts the carrier block but, like after any opt-out, does not restore marketing.
    const start = await app.request('/consent', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ phone, purpose: 'all', action: 'opt_in', evidence: 'texted START' }),
    });
    expect(start.status).toBe(201);
    c = await consent(phone);
    expect(c.state).toMatchObject({ suppressed: [], transactional: true, marketing: false });
  });

  it('an error about the handset, not the number (30003 unreachable), suppresses nothing', async () => {
    const phone = '+14155557003';
    const row = await outbound({ providerSid: 'SM_30003', status: 'queued', to: phone });
    await callback({ MessageSid: 'SM_30003', MessageStatus: 'undelivered', ErrorCode: '30003' });
    expect((await getMessage(row.id)).status).toBe('undelivered');
    expect((await consent(phone)).state.suppressed).toEqual([]);
  });
});

describe('which message a callback belongs to', () => {
  it('binds the sid of an ambiguous create (row without providerSid) through ?outboxId', async () => {
    const row = await outbound({ providerSid: null, status: 'attempting' });
    const res = await callback(
      { MessageSid: 'SM_ambiguous_1', MessageStatus: 'sent' },
      `?outboxId=${row.id}`,
    );
    expect(res.status).toBe(204);
    let m = await getMessage(row.id);
    expect(m).toMatchObject({ providerSid: 'SM_ambiguous_1', status: 'sent' });
    // Later callbacks find it by sid alone.
    await callback({ MessageSid: 'SM_ambiguous_1', MessageStatus: 'delivered' });
    m = await getMessage(row.id);
    expect(m.status).toBe('delivered');
    expect(m.timeline.map((e) => e.status)).toEqual(['created', 'sent', 'delivered']);
  });

  it('does not rebind a row that already has another sid', async () => {
    const row = await outbound({ providerSid: 'SM_bound_already', status: 'queued' });
    const before = await totalEvents();
    const res = await callback(
      { MessageSid: 'SM_someone_else', MessageStatus: 'delivered' },
      `?outboxId=${row.id}`,
    );
    expect(res.status).toBe(204);
    const m = await getMessage(row.id);
    expect(m).toMatchObject({ providerSid: 'SM_bound_already', status: 'queued' });
    expect(m.timeline).toHaveLength(1);
    expect(await totalEvents()).toBe(before);
  });

  it('an unknown sid without outboxId → 204 and nothing changes (not even a suppression)', async () => {
    const row = await outbound({ providerSid: 'SM_known_x', status: 'queued' });
    const [events, supp] = [await totalEvents(), await totalSuppressions()];
    const res = await callback({
      MessageSid: 'SM_never_heard_of',
      MessageStatus: 'undelivered',
      ErrorCode: '30006',
      To: row.toPhone,
    });
    expect(res.status).toBe(204);
    expect(await totalEvents()).toBe(events);
    expect(await totalSuppressions()).toBe(supp);
    expect((await getMessage(row.id)).status).toBe('queued');
  });
});

describe('malformed callbacks', () => {
  it.each([
    ['MessageStatus', { MessageSid: 'SM_known_y' }],
    ['MessageSid', { MessageStatus: 'delivered' }],
  ])('400 problem+json naming %s when it is missing', async (field, fields) => {
    const before = await totalEvents();
    const res = await callback(fields);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as { errors: Array<{ field: string }> };
    expect(body.errors.map((e) => e.field)).toEqual([field]);
    expect(await totalEvents()).toBe(before);
  });

  it('GET /messages/:id needs the API key and answers 404 for an unknown id', async () => {
    const row = await outbound({ providerSid: 'SM_auth_check' });
    expect((await app.request(`/messages/${row.id}`)).status).toBe(401);
    const missing = await app.request('/messages/999999', { headers: auth });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(
      await database.db.select().from(messageStatusEvents).where(eq(messageStatusEvents.messageId, row.id)),
    ).toEqual([]);
  });
});
