/**
 * Guest imports as resources (issue 10): `POST /guest-lists/{id}/imports` (CSV streamed, or JSON) → 202, then
 * `GET …/imports/{importId}` for status, progress, counts and the rejected rows (paged). Real Postgres; Temporal
 * is not involved. A 20,000-row CSV goes through the suite; 100,000 rows are measured by `bench/import.ts`.
 */
import type { Client } from '@temporalio/client';
import { and, count, eq, like, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../api/app.js';
import { ImportNormaliser, MAX_IMPORT_BYTES } from '../../api/guest-import.js';
import { importsSettled } from '../../api/guest-imports.js';
import { findOrCreateImport, writeImportBatch } from '../../db/campaigns.js';
import { consentEvents, guestImports, guests } from '../../db/schema.js';
import { auth, json, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

type Database = Awaited<ReturnType<typeof createTestDatabase>>;
let database: Database;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  database = await createTestDatabase();
  app = testApp(database.db, {} as Client);
});
afterAll(async () => {
  await importsSettled();
  await database?.close();
});

interface ImportStatus {
  id: string;
  listId: string;
  format: string;
  status: string;
  total: number;
  processed: number;
  imported: number;
  withConsent: number;
  withoutConsent: number;
  rejected: number;
  error: string | null;
  completedAt: string | null;
  rejectedRows: Array<{ row: number; reason: string; detail: string }>;
  nextAfter: number | null;
  errors?: Array<{ field: string; message: string }>;
}

const HEADER = 'phone,name,table,consent_source,consent_at,consent_text';
/** Row i (1-based): a valid New York number with consent when i is even; every 1,000th row has a bad number. */
function bigCsv(rows: number, offset = 0): string {
  const lines = [HEADER];
  for (let i = 1; i <= rows; i++) {
    const n = offset + i;
    const phone = i % 1000 === 0 ? 'not a number' : `+1212${String(2000000 + n).padStart(7, '0')}`;
    lines.push(
      i % 2 === 0
        ? `${phone},Guest ${n},${n % 40},web form,2026-11-01T10:00:00Z,Text me about the gala`
        : `${phone},Guest ${n},${n % 40},,,`,
    );
  }
  return lines.join('\n') + '\n';
}

async function newList(name = 'Big gala') {
  const res = await app.request('/guest-lists', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ name }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}
const postImport = async (listId: string, body: string, contentType = 'text/csv', query = '') => {
  const res = await app.request(`/guest-lists/${listId}/imports${query}`, {
    method: 'POST',
    headers: { ...auth, 'content-type': contentType },
    body,
  });
  return {
    status: res.status,
    location: res.headers.get('location'),
    body: (await res.json()) as ImportStatus,
  };
};
const getImport = async (listId: string, importId: string, query = '') => {
  const res = await app.request(`/guest-lists/${listId}/imports/${importId}${query}`, { headers: auth });
  return { status: res.status, body: (await res.json()) as ImportStatus };
};
const guestCount = async (listId: string) =>
  (await database.db.select({ n: count() }).from(guests).where(eq(guests.listId, listId)))[0]!.n;

describe('imports as resources', () => {
  it('a 20,000-row CSV: 202 at once, then completed with exact counts, rejected rows paged by row', async () => {
    const listId = await newList();
    const res = await postImport(listId, bigCsv(20_000), 'text/csv', '?defaultCountry=US');
    expect(res.status).toBe(202);
    expect(res.location).toBe(`/guest-lists/${listId}/imports/${res.body.id}`);
    expect(res.body).toMatchObject({ listId, format: 'csv', status: 'running', total: 20_000 });
    await importsSettled();
    const done = await getImport(listId, res.body.id, '?limit=15');
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: 'completed',
      total: 20_000,
      processed: 20_000,
      imported: 19_980,
      withConsent: 9_980, // even rows have consent; the 20 bad rows (every 1,000th) are all even
      withoutConsent: 10_000,
      rejected: 20,
      error: null,
    });
    expect(done.body.completedAt).not.toBeNull();
    expect(done.body.rejectedRows).toHaveLength(15);
    expect(done.body.rejectedRows[0]).toEqual({
      row: 1000,
      reason: 'invalid_number',
      detail: 'phone: not a valid phone number',
    });
    expect(done.body.nextAfter).toBe(15_000);
    const rest = await getImport(listId, res.body.id, `?limit=15&after=${done.body.nextAfter}`);
    expect(rest.body.rejectedRows.map((r) => r.row)).toEqual([16, 17, 18, 19, 20].map((k) => k * 1000));
    expect(rest.body.nextAfter).toBeNull();
    expect(await guestCount(listId)).toBe(19_980);
    const ledger = await database.db
      .select({ n: count() })
      .from(consentEvents)
      .where(
        and(eq(consentEvents.purpose, 'marketing'), sql`${consentEvents.evidence}->>'listId' = ${listId}`),
      );
    expect(ledger[0]!.n).toBe(9_980);
    const [one] = await database.db
      .select()
      .from(guests)
      .where(and(eq(guests.listId, listId), eq(guests.name, 'Guest 2')));
    expect(one).toMatchObject({
      phone: '+12122000002',
      timezone: 'America/New_York',
      variables: { table: '2' },
      consent: true,
      consentSource: 'web form',
    });
  }, 300_000);

  it('the same upload posted again is the same import and adds no guest; a changed one is a new import', async () => {
    const listId = await newList();
    const csv = bigCsv(1500, 500_000);
    const first = await postImport(listId, csv);
    await importsSettled();
    const again = await postImport(listId, csv);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body).toMatchObject({ status: 'completed', imported: 1499, rejected: 1 });
    expect(await guestCount(listId)).toBe(1499);
    // Other bytes (one more row): a new import, in which the numbers already on the list are duplicates.
    const more = await postImport(listId, csv + '+12125550000,New,1,,,\n');
    expect(more.body.id).not.toBe(first.body.id);
    await importsSettled();
    const done = await getImport(listId, more.body.id, '?limit=3');
    expect(done.body).toMatchObject({ status: 'completed', imported: 1, rejected: 1500 });
    expect(done.body.rejectedRows.map((r) => [r.row, r.reason])).toEqual([
      [1, 'duplicate'],
      [2, 'duplicate'],
      [3, 'duplicate'],
    ]);
    expect(await guestCount(listId)).toBe(1500);
  }, 120_000);

  it('progress is committed per batch, and a posted-again upload resumes where its lost writer stopped', async () => {
    const listId = await newList();
    const csv = bigCsv(2500, 600_000);
    // A writer that committed its first batch and then died (an API crash): what it left behind.
    const rows = new ImportNormaliser('US');
    const { createHash } = await import('node:crypto');
    const { readCsv } = await import('../../api/guest-import.js');
    const hash = createHash('sha256').update('csv\nUS\n');
    await readCsv(new Blob([csv]).stream(), hash, (r) => rows.add(r));
    const { row } = await findOrCreateImport(database.db, {
      listId,
      contentKey: hash.digest('hex'),
      format: 'csv',
      total: rows.received,
    });
    const firstBatch = {
      lastRow: 1000,
      guests: rows.guests.filter((g) => g.row <= 1000),
      rejected: rows.rejected.filter((r) => r.row <= 1000),
    };
    expect(await writeImportBatch(database.db, row.id, firstBatch)).toBe(true);
    expect(await writeImportBatch(database.db, row.id, firstBatch)).toBe(false); // a retried batch: nothing
    const mid = await getImport(listId, row.id);
    expect(mid.body).toMatchObject({
      status: 'running',
      total: 2500,
      processed: 1000,
      imported: 999,
      rejected: 1,
    });
    expect(await guestCount(listId)).toBe(999);

    // Posted again while its writer may still be alive: the same import, not taken over.
    const early = await postImport(listId, csv, 'text/csv', '?defaultCountry=US');
    expect(early.body).toMatchObject({ id: row.id, status: 'running', processed: 1000 });
    await importsSettled();
    expect((await getImport(listId, row.id)).body.processed).toBe(1000);

    // Once it is stale, the same upload resumes it from row 1001.
    await database.db
      .update(guestImports)
      .set({ updatedAt: new Date(Date.now() - 120_000) })
      .where(eq(guestImports.id, row.id));
    const resumed = await postImport(listId, csv, 'text/csv', '?defaultCountry=US');
    expect(resumed.body.id).toBe(row.id);
    await importsSettled();
    const done = await getImport(listId, row.id);
    expect(done.body).toMatchObject({
      status: 'completed',
      processed: 2500,
      imported: 2498,
      withConsent: 1248,
      rejected: 2,
    });
    expect(done.body.rejectedRows.map((r) => r.row)).toEqual([1000, 2000]);
    expect(await guestCount(listId)).toBe(2498);
    const keys = await database.db
      .select({ n: count() })
      .from(consentEvents)
      .where(
        and(like(consentEvents.dedupeKey, 'guest:%'), sql`${consentEvents.evidence}->>'listId' = ${listId}`),
      );
    expect(keys[0]!.n).toBe(1248);
  }, 120_000);

  it('JSON above the old 64 KiB limit: 5,000 rows with consent evidence', async () => {
    const listId = await newList();
    const body = {
      defaultCountry: 'US',
      guests: Array.from({ length: 5000 }, (_, i) => ({
        phone: `(415) ${String(2000000 + i).slice(0, 3)}-${String(2000000 + i).slice(3)}`,
        name: `Guest ${i}`,
        variables: { table: String(i % 30) },
        consent: { source: 'rsvp form', at: '2026-11-01T10:00:00Z', text: 'Text me about the gala' },
      })),
    };
    const text = JSON.stringify(body);
    expect(text.length).toBeGreaterThan(MAX_BODY_BYTES);
    const res = await postImport(listId, text, 'application/json');
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ format: 'json', total: 5000 });
    await importsSettled();
    const done = await getImport(listId, res.body.id);
    expect(done.body).toMatchObject({ status: 'completed', imported: 5000, withConsent: 5000, rejected: 0 });
    const [g] = await database.db
      .select()
      .from(guests)
      .where(and(eq(guests.listId, listId), eq(guests.name, 'Guest 7')));
    expect(g).toMatchObject({ phone: '+14152000007', timezone: 'America/Los_Angeles' });
    // The synchronous route keeps the 64 KiB limit and says where large imports go.
    const sync = await app.request(`/guest-lists/${listId}/guests`, {
      method: 'POST',
      headers: json,
      body: text,
    });
    expect(sync.status).toBe(413);
    expect(((await sync.json()) as { detail: string }).detail).toContain('/imports');
  }, 120_000);

  it('refuses what cannot be imported, with nothing written: bad CSV, bad JSON, wrong type, too large', async () => {
    const listId = await newList();
    const ragged = await postImport(listId, bigCsv(3000) + '+12125551111,a,b,c,d,e,f,g\n');
    expect(ragged.status).toBe(400);
    expect(ragged.body.errors?.[0]?.field).toBe('body');
    // csv-parse errors whose codes have no CSV_ prefix (found by the contract test as a 500).
    const badQuote = await postImport(listId, 'phone,name\n+12125551111,A"na\n+12125551112,"Bo"x\n');
    expect(badQuote.status).toBe(400);
    expect(badQuote.body.errors).toEqual([
      { field: 'body', message: 'not valid CSV: INVALID_OPENING_QUOTE' },
    ]);
    const noPhone = await postImport(listId, 'name,table\nAna,4\n');
    expect(noPhone.body.errors).toEqual([{ field: 'body', message: 'the header has no "phone" column' }]);
    const empty = await postImport(listId, '');
    expect(empty.status).toBe(400);
    const notJson = await postImport(listId, '{"guests": [', 'application/json');
    expect(notJson.status).toBe(400);
    expect(notJson.body.errors).toEqual([{ field: 'body', message: 'is not valid JSON' }]);
    const badRow = await postImport(
      listId,
      JSON.stringify({ guests: [{ name: 'no phone' }] }),
      'application/json',
    );
    expect(badRow.status).toBe(400);
    expect(badRow.body.errors?.[0]?.field).toBe('guests.0.phone');
    const country = await postImport(
      listId,
      JSON.stringify({ guests: [] }),
      'application/json',
      '?defaultCountry=US',
    );
    expect(country.body.errors?.[0]?.field).toBe('defaultCountry');
    const xml = await postImport(listId, '<guests/>', 'application/xml');
    expect(xml.status).toBe(415);
    const huge = await postImport(listId, HEADER + '\n' + 'x'.repeat(MAX_IMPORT_BYTES));
    expect(huge.status).toBe(413);
    expect(await guestCount(listId)).toBe(0);
    const imports = await database.db.select().from(guestImports).where(eq(guestImports.listId, listId));
    expect(imports).toEqual([]);
    const unknown = await getImport(listId, '3f1c2a4e-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    const badAfter = await getImport(listId, '3f1c2a4e-0000-4000-8000-000000000000', '?after=zero');
    expect(badAfter.status).toBe(400);
    expect(badAfter.body.errors?.[0]?.field).toBe('after');
  }, 120_000);
});
