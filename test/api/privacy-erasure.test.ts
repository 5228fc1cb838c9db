/**
 * Erasure by phone (issue 12): `POST /privacy/erasures` and `GET /privacy/erasures/{id}` on the time-skipping
 * server with real Postgres and the real worker. A guest's number: every guest-list entry across campaigns, the
 * consent ledger with its import evidence, texts from and to it and test sends go at once, the minimal record
 * keeps only the keyed hash (with an opt-out, so a later import stays suppressed), the audit names the hash, and
 * the erasure workflow's steps show on the progress route up to `done`, with the number's payload keys destroyed.
 * A member's number is erased as `DELETE /members/{id}` does. Bad input and other roles write nothing.
 */
import { eq, inArray, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { importsSettled } from '../../api/guest-imports.js';
import { createApiKey } from '../../db/api-keys.js';
import { createCampaign, createGuestList, createTestSends, insertGuests } from '../../db/campaigns.js';
import { consentState } from '../../db/consent.js';
import { phoneHash } from '../../db/erasure.js';
import {
  auditEvents,
  campaignTestSends,
  consentEvents,
  erasures,
  guests,
  inboundMessages,
  members,
  subjectKeys,
} from '../../db/schema.js';
import { auth, json } from '../helpers/app.js';
import { stackWithApp } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

const t = stackWithApp();

const erase = (body: unknown, headers: Record<string, string> = json) =>
  t.app.request('/privacy/erasures', { method: 'POST', headers, body: JSON.stringify(body) });

interface ErasureStatus {
  id: string;
  status: string;
  step: string | null;
  stepsDone: string[];
  requestedAt: string;
  completedAt: string | null;
}

/** Poll the progress route until the erasure is done. */
async function doneErasure(id: string): Promise<ErasureStatus> {
  return waitFor(
    async () => {
      const res = await t.app.request(`/privacy/erasures/${id}`, { headers: auth });
      expect(res.status).toBe(200);
      const body = (await res.json()) as ErasureStatus;
      return body.status === 'done' && body;
    },
    'the erasure to finish',
    90_000,
  );
}

const consent = { source: 'rsvp form', at: new Date('2026-11-01T10:00:00Z'), text: 'Text me about the gala' };
const guestOf = (phone: string, name: string) => ({ phone, name, timezone: 'UTC', variables: {}, consent });

describe('POST /privacy/erasures: bad input and roles', () => {
  it('400 naming `phone` for anything but an E.164 number; 403 for operator and app keys; nothing written', async () => {
    for (const phone of ['12345', '+1415', 'tel:+14155550123', '+99912345678', '', 14155550123]) {
      const res = await erase({ phone });
      expect(res.status, String(phone)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const problem = (await res.json()) as { errors: { field: string }[] };
      expect(problem.errors.map((e) => e.field)).toContain('phone');
    }
    const missing = await erase({});
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(
      'phone',
    );
    for (const role of ['operator', 'app'] as const) {
      const { secret } = await createApiKey(t.database.db, { name: `${role} key`, role });
      const headers = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
      const res = await erase({ phone: '+14155550170' }, headers);
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const get = await t.app.request('/privacy/erasures/3f1c2a4e-0000-4000-8000-000000000000', { headers });
      expect(get.status).toBe(403);
    }
    expect(await erase({ phone: '+14155550170' }, { 'content-type': 'application/json' })).toHaveProperty(
      'status',
      401,
    );
    expect(await t.database.db.select().from(erasures)).toEqual([]);
  });

  it('GET: 404 for an erasure that does not exist, 400 naming `id` for one that is not a uuid', async () => {
    const missing = await t.app.request('/privacy/erasures/3f1c2a4e-0000-4000-8000-000000000000', {
      headers: auth,
    });
    expect(missing.status).toBe(404);
    const bad = await t.app.request('/privacy/erasures/not-an-id', { headers: auth });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(
      'id',
    );
  });
});

describe('POST /privacy/erasures: a guest', () => {
  it('erases every entry of the number across lists, its ledger, texts and test sends; keeps only the hash', async () => {
    const db = t.database.db;
    const GUEST = '+14155550171';
    const OTHER = '+14155550172';
    const gala = await createGuestList(db, 'Gala');
    const dinner = await createGuestList(db, 'Dinner');
    const { inserted: galaGuests } = await insertGuests(db, gala.id, [
      guestOf(GUEST, 'Ana Guest'),
      guestOf(OTHER, 'Bo Other'),
    ]);
    const { inserted: dinnerGuests } = await insertGuests(db, dinner.id, [guestOf(GUEST, 'Ana Guest')]);
    const ana = [galaGuests[0]!.id, dinnerGuests[0]!.id];
    const campaign = await createCampaign(db, {
      listId: gala.id,
      name: 'Gala',
      template: 'Doors open, {{name}}',
      segmentBudget: 1,
      brand: 'Crewline',
    });
    const [testSend] = await createTestSends(db, [
      { campaignId: campaign.id, phone: GUEST, timezone: 'UTC', guestId: ana[0]!, body: 'Doors open, Ana' },
    ]);
    const [inbound] = await db
      .insert(inboundMessages)
      .values({ providerSid: 'SMerasureguest1', fromPhone: GUEST, toPhone: '+15005550006', body: 'yes!' })
      .returning();
    expect((await db.select().from(consentEvents).where(eq(consentEvents.phone, GUEST))).length).toBe(2);

    const res = await erase({ phone: GUEST });
    expect(res.status).toBe(202);
    const id = res.headers.get('erasure-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('location')).toBe(`/privacy/erasures/${id}`);
    expect(((await res.json()) as ErasureStatus).id).toBe(id);

    // Gone when the API answers.
    expect(await db.select().from(guests).where(eq(guests.phone, GUEST))).toEqual([]);
    expect(await db.select().from(consentEvents).where(eq(consentEvents.phone, GUEST))).toEqual([]);
    expect(await db.select().from(inboundMessages).where(eq(inboundMessages.fromPhone, GUEST))).toEqual([]);
    expect(await db.select().from(campaignTestSends).where(eq(campaignTestSends.phone, GUEST))).toEqual([]);
    // Another guest of the same list keeps everything.
    expect(await db.select().from(guests).where(eq(guests.phone, OTHER))).toHaveLength(1);
    expect(await db.select().from(consentEvents).where(eq(consentEvents.phone, OTHER))).toHaveLength(1);

    // The record: the keyed hash, who asked, an opt-out kept; never the number.
    const [record] = await db.select().from(erasures).where(eq(erasures.id, id));
    expect(record).toMatchObject({ phoneHash: phoneHash(GUEST), requestedBy: 'env-key:env' });
    expect(record!.suppressed).toContain('opt_out');
    expect(JSON.stringify(record)).not.toContain('4155550171');

    // Audited: who asked and the number's hash, never the number.
    const audit = await db.select().from(auditEvents).where(eq(auditEvents.action, 'data.erase'));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorKind: 'env_key', subjectKind: 'phone', detail: { id } });
    expect(JSON.stringify(audit)).not.toContain('4155550171');

    // The durable part: its steps on the progress route, up to done; every subject of the number shredded.
    const done = await doneErasure(id);
    expect(done).toMatchObject({
      id,
      status: 'done',
      step: 'done',
      stepsDone: ['workflows', 'member', 'rows', 'shred', 'done'],
    });
    expect(done.completedAt).not.toBeNull();
    expect(JSON.stringify(done)).not.toContain('4155550171');
    const subjects = [
      ...ana.map((g) => `guest:${g}`),
      `inbound:${inbound!.id}`,
      `test-send:${testSend!.id}`,
      `erasure:${id}`,
    ];
    const keys = await db.select().from(subjectKeys).where(inArray(subjectKeys.subject, subjects));
    expect(keys.map((k) => k.subject).sort()).toEqual([...subjects].sort());
    for (const k of keys) expect(k.destroyedAt, k.subject).not.toBeNull();

    // Asked again: the same erasure, nothing new written.
    const again = await erase({ phone: GUEST });
    expect(again.status).toBe(202);
    expect(again.headers.get('erasure-id')).toBe(id);
    expect(
      await db
        .select()
        .from(erasures)
        .where(eq(erasures.phoneHash, phoneHash(GUEST))),
    ).toHaveLength(1);
  }, 180_000);

  it('an unknown number: the erasure is recorded, and a later import of the number is suppressed', async () => {
    const db = t.database.db;
    const UNKNOWN = '+14155550173';
    const PLAIN = '+14155550174';
    const res = await erase({ phone: UNKNOWN });
    expect(res.status).toBe(202);
    const id = res.headers.get('erasure-id')!;
    await doneErasure(id);

    const list = await t.app.request('/guest-lists', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'Later gala' }),
    });
    const listId = ((await list.json()) as { id: string }).id;
    const csv = [
      'phone,name,consent_source,consent_at,consent_text',
      `${UNKNOWN},Cy,rsvp form,2026-11-01T10:00:00Z,Text me about the gala`,
      `${PLAIN},Di,rsvp form,2026-11-01T10:00:00Z,Text me about the gala`,
    ].join('\n');
    const imported = await t.app.request(`/guest-lists/${listId}/imports`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(imported.status).toBe(202);
    await importsSettled();
    expect(await db.select().from(guests).where(eq(guests.listId, listId))).toHaveLength(2);
    // The send gate: no marketing text may reach the erased number; the other one is consented.
    expect(await consentState(db, UNKNOWN)).toMatchObject({ optedOut: true, marketing: false });
    expect(await consentState(db, PLAIN)).toMatchObject({ optedOut: false, marketing: true });

    // The number holds data again (the import): a new request is a new erasure.
    const again = await erase({ phone: UNKNOWN });
    expect(again.status).toBe(202);
    expect(again.headers.get('erasure-id')).not.toBe(id);
    expect(await db.select().from(guests).where(eq(guests.phone, UNKNOWN))).toEqual([]);
    await doneErasure(again.headers.get('erasure-id')!);
  }, 180_000);
});

describe("POST /privacy/erasures: a member's number", () => {
  it('erases the member as DELETE /members/{id} does; the erasure id is the member id', async () => {
    const PHONE = '+14155550175';
    const created = await t.app.request('/members', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'Em Member', phone: PHONE, timezone: 'UTC', checkInTime: '19:00' }),
    });
    expect(created.status).toBe(201);
    const { id: memberId } = (await created.json()) as { id: string };
    const res = await erase({ phone: PHONE });
    expect(res.status).toBe(202);
    expect(res.headers.get('erasure-id')).toBe(memberId);
    expect(res.headers.get('location')).toBe(`/privacy/erasures/${memberId}`);
    expect(await t.database.db.select().from(members).where(eq(members.id, memberId))).toEqual([]);
    expect((await t.app.request(`/members/${memberId}`, { headers: auth })).status).toBe(404);
    await doneErasure(memberId);
    const [{ n }] = (await t.database.db.execute(
      sql`select count(*)::int as n from erasures where id = ${memberId}`,
    )) as unknown as [{ n: number }];
    expect(n).toBe(1);
  }, 180_000);
});
