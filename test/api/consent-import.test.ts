/**
 * A guest import's consent evidence in the consent ledger (db/campaigns.ts `writeImportBatch`): each guest imported
 * with consent gets one marketing opt-in (source `import`) whose evidence names the import (its id, format and the
 * upload's content hash), the data row it came from, and the consent the row attested (source, time, text). A
 * guest without consent gets no ledger event; the same upload again records nothing twice. Real Postgres.
 */
import type { Client } from '@temporalio/client';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importsSettled } from '../../api/guest-imports.js';
import { consentEvents, guestImports } from '../../db/schema.js';
import { auth, json, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  database = await createTestDatabase();
  app = testApp(database.db, {} as Client);
});
afterAll(async () => {
  await importsSettled();
  await database?.close();
});

const CSV = [
  'phone,name,consent_source,consent_at,consent_text',
  '+12125557001,Ana,rsvp form,2026-11-01T10:00:00Z,Text me about the gala',
  '+12125557002,Bo,,,',
  'not a number,Cy,web form,2026-11-01T10:00:00Z,Yes',
  '+12125557004,Di,paper card,2026-11-02T09:30:00Z,Texts about the gala please',
].join('\n');

describe("a guest import's consent evidence", () => {
  it('names the import, its row and the attested consent; guests without consent get no event', async () => {
    const list = await app.request('/guest-lists', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'Gala' }),
    });
    const listId = ((await list.json()) as { id: string }).id;
    const post = () =>
      app.request(`/guest-lists/${listId}/imports`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/csv' },
        body: CSV,
      });
    const res = await post();
    expect(res.status).toBe(202);
    const importId = ((await res.json()) as { id: string }).id;
    await importsSettled();
    const [imp] = await database.db.select().from(guestImports).where(eq(guestImports.id, importId));
    expect(imp).toMatchObject({ status: 'completed', imported: 3, withConsent: 2, rejected: 1 });

    const phones = ['+12125557001', '+12125557002', '+12125557004'];
    const events = await database.db
      .select()
      .from(consentEvents)
      .where(and(inArray(consentEvents.phone, phones), eq(consentEvents.source, 'import')));
    expect(events.map((e) => e.phone).sort()).toEqual(['+12125557001', '+12125557004']);
    const ana = events.find((e) => e.phone === '+12125557001')!;
    expect(ana).toMatchObject({ purpose: 'marketing', action: 'opt_in' });
    expect(ana.evidence).toMatchObject({
      listId,
      importId,
      importFormat: 'csv',
      importContentKey: imp!.contentKey,
      row: 1,
      source: 'rsvp form',
      at: '2026-11-01T10:00:00.000Z',
      text: 'Text me about the gala',
    });
    expect(events.find((e) => e.phone === '+12125557004')!.evidence).toMatchObject({
      importId,
      row: 4,
      source: 'paper card',
      text: 'Texts about the gala please',
    });

    // The same upload again is the same import: nothing recorded twice.
    expect((await post()).status).toBeLessThan(300);
    await importsSettled();
    const again = await database.db
      .select()
      .from(consentEvents)
      .where(and(inArray(consentEvents.phone, phones), eq(consentEvents.source, 'import')));
    expect(again).toHaveLength(2);
  }, 120_000);
});
