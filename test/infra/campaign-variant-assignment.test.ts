/**
 * A/B variants stored per recipient (db/campaigns.ts `prepareRecipients`, real Postgres): the split is exact to
 * one guest, preparing again changes no guest's variant, a guest added later is placed by the hash alone, and a
 * guest without consent gets none.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaign, createGuestList, insertGuests, prepareRecipients } from '../../db/campaigns.js';
import { campaignRecipients } from '../../db/schema.js';
import { assignVariant } from '../../workflows/guest-campaign/variants.js';
import { createTestDatabase } from '../helpers/db.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

let seq = 0;
const guestRows = (n: number, consent = true) =>
  Array.from({ length: n }, () => ({
    phone: `+1212555${String(seq++).padStart(4, '0')}`,
    name: null,
    timezone: 'America/New_York',
    variables: {},
    consent: consent ? { source: 'form', at: new Date(), text: 'yes' } : null,
  }));

describe('variant per recipient', () => {
  it('splits at the weights, keeps every variant on re-prepare, places late guests by the hash', async () => {
    const db = database.db;
    const list = await createGuestList(db, 'l');
    await insertGuests(db, list.id, [...guestRows(301), ...guestRows(2, false)]);
    const c = await createCampaign(db, {
      listId: list.id,
      name: 'c',
      template: 'A',
      variants: [
        { template: 'A', weight: 1 },
        { template: 'B', weight: 1 },
        { template: 'C', weight: 1 },
      ],
      segmentBudget: 2,
      brand: 'X',
    });
    const rows = () =>
      db
        .select({ guestId: campaignRecipients.guestId, variant: campaignRecipients.variant })
        .from(campaignRecipients)
        .where(eq(campaignRecipients.campaignId, c.id));

    expect(await prepareRecipients(db, c.id)).toEqual({ noConsent: 2 });
    const first = new Map((await rows()).map((r) => [r.guestId, r.variant]));
    const sizes = [0, 1, 2].map((v) => [...first.values()].filter((x) => x === v).length);
    expect(sizes.sort()).toEqual([100, 100, 101]); // exact to one guest
    expect([...first.values()].filter((x) => x === null)).toHaveLength(2); // no consent: no variant

    const { inserted: late } = await insertGuests(db, list.id, guestRows(20));
    await prepareRecipients(db, c.id);
    const second = new Map((await rows()).map((r) => [r.guestId, r.variant]));
    for (const [guestId, variant] of first) expect(second.get(guestId)).toBe(variant);
    for (const g of late) expect(second.get(g.id)).toBe(assignVariant(c.id, g.id, [1, 1, 1]));
  });

  it('a campaign without variants stores none', async () => {
    const db = database.db;
    const list = await createGuestList(db, 'l2');
    await insertGuests(db, list.id, guestRows(3));
    const c = await createCampaign(db, {
      listId: list.id,
      name: 'c',
      template: 'A',
      segmentBudget: 2,
      brand: 'X',
    });
    await prepareRecipients(db, c.id);
    const got = await db
      .select({ variant: campaignRecipients.variant })
      .from(campaignRecipients)
      .where(eq(campaignRecipients.campaignId, c.id));
    expect(got).toEqual([{ variant: null }, { variant: null }, { variant: null }]);
  });
});
