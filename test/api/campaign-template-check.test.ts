/**
 * `POST /campaigns` checks the template against every consented guest of the list, reading the list a page of
 * guests at a time (so a 100,000-guest list is never held whole in the API's memory). Real Postgres; Temporal is
 * not involved (a draft starts no workflow). A list of 2,500 guests spans two pages (2,000 a page): the offence is found
 * wherever it is, and with variants the first variant (in order) that has one is named, whichever page it is in.
 */
import type { Client } from '@temporalio/client';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGuestList, insertGuests, updateGuest } from '../../db/campaigns.js';
import { guests } from '../../db/schema.js';
import { json, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

const GUESTS = 2_500;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  database = await createTestDatabase();
  app = testApp(database.db, {} as Client);
});
afterAll(async () => {
  await database?.close();
});

/** A list of GUESTS consented guests, each with `table`; returns the list and its guest ids in id order. */
async function bigList() {
  const list = await createGuestList(database.db, 'Big gala');
  const consent = { source: 'rsvp form', at: new Date('2026-11-01T10:00:00Z'), text: 'Text me' };
  await insertGuests(
    database.db,
    list.id,
    Array.from({ length: GUESTS }, (_, i) => ({
      phone: `+1212${String(4_000_000 + i).padStart(7, '0')}`,
      name: `Guest ${i}`,
      timezone: 'America/New_York',
      variables: { table: String(i % 40) },
      consent,
    })),
  );
  const ids = await database.db
    .select({ id: guests.id })
    .from(guests)
    .where(and(eq(guests.listId, list.id)))
    .orderBy(asc(guests.id));
  return { listId: list.id, ids: ids.map((g) => g.id) };
}

const create = async (body: unknown) => {
  const res = await app.request('/campaigns', { method: 'POST', headers: json, body: JSON.stringify(body) });
  return {
    status: res.status,
    body: (await res.json()) as { id?: string; errors?: Array<{ field: string; message: string }> },
  };
};

it('every page of a large list is checked; with variants the first variant with an offence is named, whatever its page', async () => {
  const { listId, ids } = await bigList();
  expect(ids).toHaveLength(GUESTS);
  const ok = await create({ listId, name: 'Tables', template: 'Your table is {{table}}, {{name}}.' });
  expect(ok.status, JSON.stringify(ok.body)).toBe(201);

  // The last guest in id order (the last page) lacks `table`.
  const last = ids[GUESTS - 1]!;
  await updateGuest(database.db, listId, last, { variables: {} });
  const missing = await create({ listId, name: 'Tables', template: 'Your table is {{table}}, {{name}}.' });
  expect(missing.status).toBe(422);
  expect(missing.body.errors?.[0]?.field).toBe('template');
  expect(missing.body.errors?.[0]?.message).toContain(`guest ${last}`);
  expect(missing.body.errors?.[0]?.message).toContain('missing variable "table"');

  // The first guest (first page) has a name that makes variant 1 too long; variant 0 still fails only on the
  // last page: variant 0 is the one named, as when each variant was checked over the whole list.
  const first = ids[0]!;
  await updateGuest(database.db, listId, first, { name: 'N'.repeat(100) });
  const variants = await create({
    listId,
    name: 'A/B',
    segmentBudget: 1,
    variants: [
      { template: 'Table {{table}}', weight: 1 },
      { template: `Hello {{name}}, ${'x'.repeat(60)}`, weight: 1 },
    ],
  });
  expect(variants.status).toBe(422);
  expect(variants.body.errors?.[0]?.field).toBe('variants.0.template');
  expect(variants.body.errors?.[0]?.message).toContain(`guest ${last}`);

  // With variant 0 fixed for everyone, variant 1's offence on the first page is named.
  await updateGuest(database.db, listId, last, { variables: { table: '7' } });
  const second = await create({
    listId,
    name: 'A/B',
    segmentBudget: 1,
    variants: [
      { template: 'Table {{table}}', weight: 1 },
      { template: `Hello {{name}}, ${'x'.repeat(60)}`, weight: 1 },
    ],
  });
  expect(second.status).toBe(422);
  expect(second.body.errors?.[0]?.field).toBe('variants.1.template');
  expect(second.body.errors?.[0]?.message).toContain(`guest ${first}`);
}, 180_000);
