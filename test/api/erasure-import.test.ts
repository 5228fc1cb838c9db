/**
 * A STOP-listed number, erased, then imported again as a consented guest stays suppressed (issue 12 §2): the
 * import looks the number up by its erasure hash (db/consent.ts `recordMarketingOptIns` with db/erasure.ts
 * `erasedSuppressionsOf`), so its ledger opt-in records no change, and the send gate (`consentState`) keeps the
 * opt-out — no campaign can text it. A number erased without an opt-out imports as consented. Real Postgres.
 */
import type { Client } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importsSettled } from '../../api/guest-imports.js';
import { consentState, recordConsent } from '../../db/consent.js';
import { eraseMember } from '../../db/members.js';
import { consentEvents, erasures, guestImports, guests } from '../../db/schema.js';
import { auth, json, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { insertActiveMember } from '../helpers/members.js';

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

const STOPPED = '+12125558101';
const PLAIN = '+12125558102';

async function memberErased(phone: string, stop: boolean): Promise<void> {
  const { id } = await insertActiveMember(database.db, phone, 'UTC');
  if (stop)
    await recordConsent(database.db, {
      phone,
      purpose: 'all',
      action: 'opt_out',
      source: 'sms_keyword',
      evidence: { keyword: 'STOP' },
    });
  expect(await eraseMember(database.db, { memberId: id, erasureId: id, requestedBy: 'env-key:env' })).toBe(
    true,
  );
}

describe('a guest import of an erased number', () => {
  it('keeps a STOP-listed, erased number suppressed; an erased number without opt-out is consented', async () => {
    await memberErased(STOPPED, true);
    await memberErased(PLAIN, false);
    // Erasure left no row with the number: only the hashed records.
    expect(await database.db.select().from(consentEvents).where(eq(consentEvents.phone, STOPPED))).toEqual(
      [],
    );
    expect(await database.db.select().from(erasures)).toHaveLength(2);

    const list = await app.request('/guest-lists', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'Gala' }),
    });
    const listId = ((await list.json()) as { id: string }).id;
    const csv = [
      'phone,name,consent_source,consent_at,consent_text',
      `${STOPPED},Ana,rsvp form,2026-11-01T10:00:00Z,Text me about the gala`,
      `${PLAIN},Bo,rsvp form,2026-11-01T10:00:00Z,Text me about the gala`,
    ].join('\n');
    const res = await app.request(`/guest-lists/${listId}/imports`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/csv' },
      body: csv,
    });
    expect(res.status).toBe(202);
    const importId = ((await res.json()) as { id: string }).id;
    await importsSettled();
    const [imp] = await database.db.select().from(guestImports).where(eq(guestImports.id, importId));
    expect(imp).toMatchObject({ status: 'completed', imported: 2 });
    expect((await database.db.select().from(guests).where(eq(guests.listId, listId))).length).toBe(2);

    // The send gate: the opt-out kept by the erasure applies; marketing consent is not granted by the import.
    const stopped = await consentState(database.db, STOPPED);
    expect(stopped).toMatchObject({ optedOut: true, marketing: false, transactional: false });
    expect(await consentState(database.db, PLAIN)).toMatchObject({ optedOut: false, marketing: true });

    // The ledger says honestly what the import changed: nothing for the suppressed number.
    const events = await database.db
      .select()
      .from(consentEvents)
      .where(and(eq(consentEvents.source, 'import'), eq(consentEvents.purpose, 'marketing')));
    expect(events.find((e) => e.phone === STOPPED)).toMatchObject({ action: 'opt_in', changed: false });
    expect(events.find((e) => e.phone === PLAIN)).toMatchObject({ action: 'opt_in', changed: true });
  }, 120_000);
});
