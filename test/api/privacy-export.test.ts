/**
 * "Send me my data" (issue 12): POST /privacy/exports on the time-skipping server, real Postgres and the real
 * worker. A member's export holds their profile, consent, texts both ways, guest rows under their number and
 * their workflow with its decoded state — and nothing of another member's.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { guestLists, guests } from '../../db/schema.js';
import { json } from '../helpers/app.js';
import { confirmMember, newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

const t = stackWithApp();

const post = (path: string, body: unknown, headers: Record<string, string> = json) =>
  t.app.request(path, { method: 'POST', headers, body: JSON.stringify(body) });

async function newMember(name: string, phone: string) {
  const res = await post('/members', { name, phone, timezone: 'America/New_York', checkInTime: '19:00' });
  expect(res.status).toBe(201);
  return { ...((await res.json()) as { id: string }), phone };
}

interface Export {
  format: string;
  subject: { phone: string; memberId: string | null };
  member: { id: string; name: string; phone: string } | null;
  consentEvents: { source: string; action: string; purpose: string }[];
  messagesSent: { body: string; toPhone: string }[];
  messagesReceived: { body: string; fromPhone: string }[];
  guests: { guest: { phone: string; name: string }; listName: string }[];
  workflows: { workflowId: string; type: string; status: string; state: { status?: string } | null }[];
  [section: string]: unknown;
}

describe('POST /privacy/exports', () => {
  it("a member's export has their data from every table and workflow, and nobody else's", async () => {
    const ana = await newMember('Ana Export', '+14155550181');
    const bo = await newMember('Bo Other', '+14155550182');
    const inbound = sandboxInbound(t.app);
    await confirmMember(t.env.client, ana, inbound);
    await confirmMember(t.env.client, bo, inbound);
    await inbound({
      MessageSid: newMessageSid(),
      From: ana.phone,
      To: OUR_NUMBER,
      Body: 'feeling good today',
    });
    await inbound({ MessageSid: newMessageSid(), From: bo.phone, To: OUR_NUMBER, Body: 'bo secret words' });
    const consent = await post('/consent', {
      phone: ana.phone,
      purpose: 'marketing',
      action: 'opt_in',
      evidence: 'paper form at the spring gala',
    });
    expect(consent.status).toBeLessThan(300);
    // Ana's number is also a guest on an organiser's list.
    const listId = randomUUID();
    await t.database.db.insert(guestLists).values({ id: listId, name: 'Spring gala' });
    await t.database.db.insert(guests).values([
      {
        id: randomUUID(),
        listId,
        phone: ana.phone,
        name: 'Ana at the gala',
        timezone: 'America/New_York',
        consent: true,
      },
      {
        id: randomUUID(),
        listId,
        phone: bo.phone,
        name: 'Bo at the gala',
        timezone: 'America/New_York',
        consent: true,
      },
    ]);
    await waitFor(async () => {
      const r = await t.app.request(`/messages?direction=inbound&memberId=${ana.id}`, { headers: json });
      return JSON.stringify(await r.json()).includes('feeling good today');
    }, 'the inbound text stored');

    const res = await post('/privacy/exports', { memberId: ana.id });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const text = await res.text();
    const doc = JSON.parse(text) as Export;
    expect(doc.format).toBe('crewline-export/1');
    expect(doc.subject).toEqual({ phone: ana.phone, memberId: ana.id });
    expect(doc.member).toMatchObject({ id: ana.id, name: 'Ana Export', phone: ana.phone });
    // Texts both ways: the welcome and the confirmation we sent, the YES and the free text they sent.
    expect(doc.messagesSent.length).toBeGreaterThanOrEqual(2);
    expect(doc.messagesSent.every((m) => m.toPhone === ana.phone)).toBe(true);
    expect(doc.messagesReceived.map((m) => m.body)).toEqual(
      expect.arrayContaining(['YES', 'feeling good today']),
    );
    // Their consent ledger.
    expect(doc.consentEvents).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: 'opt_in', source: 'api', purpose: 'marketing' }),
      ]),
    );
    expect(doc.guests).toEqual([
      expect.objectContaining({
        listName: 'Spring gala',
        guest: expect.objectContaining({ name: 'Ana at the gala' }),
      }),
    ]);
    // Their member workflow, with its decoded state.
    const own = doc.workflows.find((w) => w.workflowId === `member-${ana.id}`);
    expect(own).toMatchObject({
      type: 'memberWorkflow',
      status: 'RUNNING',
      state: expect.objectContaining({ status: 'active' }),
    });
    // Every section is present, even when empty.
    for (const section of [
      'checkIns',
      'goals',
      'riskEvents',
      'crews',
      'reflections',
      'mentorshipMatches',
      'campaignsReceived',
    ])
      expect(Array.isArray(doc[section]), section).toBe(true);
    // Nothing of Bo's.
    for (const secret of [bo.id, bo.phone, 'Bo Other', 'bo secret words', 'Bo at the gala'])
      expect(text, secret).not.toContain(secret);
    // The export is audited: who asked, about whom (the member's id, never the number).
    const audit = await t.app.request(`/audit?action=data.export&subjectId=${ana.id}`, { headers: json });
    expect(audit.status).toBe(200);
    const { events } = (await audit.json()) as { events: unknown[] };
    expect(events).toEqual([
      expect.objectContaining({
        action: 'data.export',
        actor: expect.objectContaining({ kind: 'env_key', role: 'admin' }),
        subject: { kind: 'member', id: ana.id },
      }),
    ]);
  });

  it('a guest who is not a member is found by phone; an unknown number is 404; bad input is 400 naming the field', async () => {
    const listId = randomUUID();
    await t.database.db.insert(guestLists).values({ id: listId, name: 'Book club' });
    await t.database.db.insert(guests).values({
      id: randomUUID(),
      listId,
      phone: '+14155550190',
      name: 'Guest Only',
      timezone: 'America/Chicago',
      consent: true,
    });
    const res = await post('/privacy/exports', { phone: '+14155550190' });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Export;
    expect(doc.member).toBeNull();
    expect(doc.guests.map((g) => g.listName)).toEqual(['Book club']);
    expect(doc.workflows).toEqual([]);

    expect((await post('/privacy/exports', { phone: '+14155550199' })).status).toBe(404);
    for (const [body, field] of [
      [{}, 'memberId'],
      [{ memberId: randomUUID(), phone: '+14155550190' }, 'memberId'],
      [{ phone: '555' }, 'phone'],
      [{ memberId: 'nope' }, 'memberId'],
      [{ phone: '+14155550190', extra: 1 }, 'extra'],
    ] as const) {
      const bad = await post('/privacy/exports', body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
      const p = (await bad.json()) as { errors: { field: string }[] };
      expect(p.errors.map((e) => e.field)).toContain(field);
    }
  });
});
