/**
 * A/B variants of a campaign (issue 10) through the API, against real Postgres, the time-skipping Temporal server
 * and the real workers (sandbox SMS: the outbox rows are the sent texts): bad variants refused naming the field
 * or the variant, a 2-variant 70/30 split on 1,000 guests within 5 % of its weights with every guest's text its
 * own variant's, previews per variant, and per-variant delivery and reply rates.
 */
import { and, eq, isNotNull, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { guests, messages } from '../../db/schema.js';
import { json } from '../helpers/app.js';
import { newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

const t = stackWithApp();

interface Problem {
  status: number;
  errors?: Array<{ field: string; message: string }>;
}
interface VariantStats {
  variant: number;
  template: string;
  weight: number;
  recipients: number;
  sent: number;
  delivered: number;
  undelivered: number;
  replied: number;
  deliveryRate: number | null;
  replyRate: number | null;
}

const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await t.app.request(path, {
    method,
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T & Problem };
};
const consent = { source: 'web form', at: '2026-11-01T10:00:00Z', text: 'Text me about the event' };
let seq = 0;
const phone = () => `+1212555${String(1000 + seq++)}`;

async function listOf(rows: Array<{ name: string; variables?: Record<string, string>; consent?: boolean }>) {
  const list = await call<{ id: string }>('POST', '/guest-lists', { name: 'Gala' });
  // In chunks: the synchronous import takes bodies within the API's 64 KiB limit.
  let imported = 0;
  for (let i = 0; i < rows.length; i += 250) {
    const res = await call<{ imported: number }>('POST', `/guest-lists/${list.body.id}/guests`, {
      guests: rows.slice(i, i + 250).map((r) => ({
        phone: phone(),
        name: r.name,
        ...(r.variables && { variables: r.variables }),
        ...(r.consent !== false && { consent }),
      })),
    });
    imported += res.body.imported;
  }
  expect(imported).toBe(rows.length);
  return list.body.id;
}

beforeAll(async () => {
  await skipTo(t.env, '2027-03-02T15:00:00Z'); // 10:00 in New York: inside the marketing window
});

describe('campaign A/B variants', () => {
  it('bad variants are 400 naming the field; a variant that does not fit or render is 422 naming the variant', async () => {
    const listId = await listOf([{ name: 'Ana' }, { name: 'Bo', variables: { table: '4' } }]);
    const bad = async (body: Record<string, unknown>, field: string, status = 400) => {
      const res = await call('POST', '/campaigns', { listId, name: 'AB', ...body });
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.errors?.map((e) => e.field)).toContain(field);
    };
    await bad({ variants: [{ template: 'Only one', weight: 1 }] }, 'variants');
    await bad(
      { variants: Array.from({ length: 5 }, (_, i) => ({ template: `T${i}`, weight: 1 })) },
      'variants',
    );
    await bad(
      {
        variants: [
          { template: 'A', weight: 0 },
          { template: 'B', weight: 1 },
        ],
      },
      'variants.0.weight',
    );
    await bad(
      {
        variants: [
          { template: 'A', weight: 1 },
          { template: 'B', weight: 2.5 },
        ],
      },
      'variants.1.weight',
    );
    await bad(
      {
        template: 'Hi',
        variants: [
          { template: 'A', weight: 1 },
          { template: 'B', weight: 1 },
        ],
      },
      'template',
    );
    await bad({}, 'template');
    // Variant 1 is fine for nobody: too long for the budget, then a variable Ana lacks.
    await bad(
      {
        segmentBudget: 1,
        variants: [
          { template: 'Hi {{name}}', weight: 50 },
          { template: 'Hi {{name}}! '.repeat(20), weight: 50 },
        ],
      },
      'variants.1.template',
      422,
    );
    const missing = await call('POST', '/campaigns', {
      listId,
      name: 'AB',
      variants: [
        { template: 'Hi {{name}}', weight: 50 },
        { template: 'Table {{table}}', weight: 50 },
      ],
    });
    expect(missing.status).toBe(422);
    expect(missing.body.errors?.[0]?.field).toBe('variants.1.template');
    expect(missing.body.errors?.[0]?.message).toMatch(
      /^variant 1: guest [0-9a-f-]+: missing variable "table"$/,
    );
    // Nothing half-written: no campaign was created by any of these.
    const count = await t.database.db.execute<{ n: number }>(
      sql`select count(*)::int as n from campaigns where list_id = ${listId}`,
    );
    expect(count[0]?.n).toBe(0);
  });

  it('1,000 guests, 70/30: the split is within 5 % of the weights, each guest gets its variant, rates per variant', async () => {
    const n = 1000;
    const listId = await listOf([
      ...Array.from({ length: n }, (_, i) => ({ name: `G${i}` })),
      { name: 'NoConsent', consent: false },
    ]);
    const variants = [
      { template: 'Hi {{name}}, doors open at 7.', weight: 70 },
      { template: '{{name}}: the party starts at 7!', weight: 30 },
    ];
    const created = await call<{ id: string; template: string; variants: unknown; variables: string[] }>(
      'POST',
      '/campaigns',
      { listId, name: 'Doors AB', variants },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ template: variants[0]!.template, variants, variables: ['name'] });
    const id = created.body.id;
    const rows = await t.database.db.select().from(guests).where(eq(guests.listId, listId));
    const g0 = rows.find((g) => g.name === 'G0')!;

    // Previews per variant; without `variant`, the one this guest will get.
    const preview = (q: string) =>
      call<{ variant: number | null; body: string }>('GET', `/campaigns/${id}/preview?guestId=${g0.id}${q}`);
    expect((await preview('&variant=0')).body).toMatchObject({
      variant: 0,
      body: 'Crewline: Hi G0, doors open at 7. Reply STOP to opt out.',
    });
    expect((await preview('&variant=1')).body).toMatchObject({
      variant: 1,
      body: 'Crewline: G0: the party starts at 7! Reply STOP to opt out.',
    });
    const bad = await preview('&variant=2');
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]?.field).toBe('variant');
    const draftChoice = (await preview('')).body.variant;

    expect((await call('POST', `/campaigns/${id}/start`, {})).status).toBe(202);
    await waitFor(
      async () => (await call<{ status: string }>('GET', `/campaigns/${id}`)).body.status === 'completed',
      'campaign completed',
      240_000,
    );

    // Each guest got exactly one text, its own variant's.
    const texts = await t.database.db
      .select({ id: messages.id, body: messages.body })
      .from(messages)
      .where(and(eq(messages.campaignId, id), isNotNull(messages.providerSid)));
    expect(texts).toHaveLength(n);
    const recipients: Array<{ guestId: string; variant: number | null; messageId: number | null }> = [];
    for (let after: string | null = null; ;) {
      const page: { body: { recipients: typeof recipients; nextAfter: string | null } } = await call(
        'GET',
        `/campaigns/${id}/recipients?limit=500${after ? `&after=${after}` : ''}`,
      );
      recipients.push(...page.body.recipients);
      after = page.body.nextAfter;
      if (!after) break;
    }
    const variantOf = new Map(recipients.map((r) => [r.guestId, r.variant]));
    const guestOf = new Map(recipients.map((r) => [r.messageId, r.guestId]));
    const nameOf = new Map(rows.map((g) => [g.id, g.name]));
    const expected = (variant: number | null | undefined, name: string) =>
      variant === 0
        ? `Crewline: Hi ${name}, doors open at 7. Reply STOP to opt out.`
        : variant === 1
          ? `Crewline: ${name}: the party starts at 7! Reply STOP to opt out.`
          : 'no variant';
    for (const m of texts) {
      const guestId = guestOf.get(m.id)!;
      expect(m.body).toBe(expected(variantOf.get(guestId), nameOf.get(guestId)!));
    }
    expect(new Set(texts.map((m) => guestOf.get(m.id))).size).toBe(n);
    // The guest without consent was never texted and has no variant.
    const noConsent = rows.find((g) => g.name === 'NoConsent')!;
    expect(variantOf.get(noConsent.id)).toBeNull();
    // The draft's preview named the variant the guest then got.
    expect(variantOf.get(g0.id)).toBe(draftChoice);

    // The split: within 5 % of 70/30.
    const a = texts.filter((m) => variantOf.get(guestOf.get(m.id)!) === 0).length;
    expect(Math.abs(a / n - 0.7)).toBeLessThanOrEqual(0.05);
    expect(Math.abs((n - a) / n - 0.3)).toBeLessThanOrEqual(0.05);

    // Replies: two guests of variant 0 and one of variant 1 (twice: still one guest).
    const v0 = rows.filter((g) => variantOf.get(g.id) === 0).slice(0, 2);
    const v1 = rows.find((g) => variantOf.get(g.id) === 1)!;
    const reply = (from: string, body: string) =>
      sandboxInbound(t.app)({ MessageSid: newMessageSid(), From: from, To: OUR_NUMBER, Body: body });
    for (const g of v0) expect((await reply(g.phone, 'YES')).status).toBe(200);
    await reply(v1.phone, 'yes');
    await reply(v1.phone, 'Can I bring a friend?');

    const stats = await waitFor(
      async () => {
        const res = await call<{ variants: VariantStats[] }>('GET', `/campaigns/${id}/variants`);
        const total = res.body.variants.reduce((s, v) => s + v.replied, 0);
        return res.status === 200 && total === 3 && res.body.variants;
      },
      'replies counted per variant',
      60_000,
    );
    // The sandbox reports every text delivered.
    expect(stats).toEqual([
      {
        variant: 0,
        ...variants[0],
        recipients: a,
        sent: a,
        delivered: a,
        undelivered: 0,
        replied: 2,
        deliveryRate: 1,
        replyRate: 2 / a,
      },
      {
        variant: 1,
        ...variants[1],
        recipients: n - a,
        sent: n - a,
        delivered: n - a,
        undelivered: 0,
        replied: 1,
        deliveryRate: 1,
        replyRate: 1 / (n - a),
      },
    ]);
  }, 300_000);

  it('a campaign without variants reports itself as variant 0; previews say variant null', async () => {
    const listId = await listOf([{ name: 'Ana' }]);
    const created = await call<{ id: string; variants: unknown }>('POST', '/campaigns', {
      listId,
      name: 'Plain',
      template: 'Hi {{name}}',
    });
    expect(created.body.variants).toBeNull();
    const [ana] = await t.database.db.select().from(guests).where(eq(guests.listId, listId));
    const p = await call('GET', `/campaigns/${created.body.id}/preview?guestId=${ana!.id}`);
    expect(p.body).toMatchObject({ variant: null, body: 'Crewline: Hi Ana Reply STOP to opt out.' });
    expect(
      (await call('GET', `/campaigns/${created.body.id}/preview?guestId=${ana!.id}&variant=1`)).status,
    ).toBe(400);
    const stats = await call<{ variants: VariantStats[] }>('GET', `/campaigns/${created.body.id}/variants`);
    expect(stats.body.variants).toEqual([
      {
        variant: 0,
        template: 'Hi {{name}}',
        weight: 100,
        recipients: 0,
        sent: 0,
        delivered: 0,
        undelivered: 0,
        replied: 0,
        deliveryRate: null,
        replyRate: null,
      },
    ]);
    expect((await call('GET', '/campaigns/00000000-0000-4000-8000-000000000000/variants')).status).toBe(404);
  });
});
