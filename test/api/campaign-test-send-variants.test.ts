/**
 * A test send of a chosen A/B variant: the text is that variant's, rendered for the guest or the sample
 * variables; an index the campaign does not have is a 400 naming `variant`, and nothing is written or sent.
 * Real Postgres, the time-skipping server and the real workers; sandbox SMS.
 */
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { campaignTestSends, messages } from '../../db/schema.js';
import { json } from '../helpers/app.js';
import { stackWithApp } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

const t = stackWithApp();
const consent = { source: 'rsvp form', at: '2026-11-01T10:00:00Z', text: 'Text me about the gala' };

interface TestSends {
  testSends: Array<{ id: string; phone: string; body: string }>;
  variant: number;
  errors?: Array<{ field: string; message: string }>;
}

const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await t.app.request(path, {
    method,
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
};

async function campaign(body: Record<string, unknown>) {
  const list = await call<{ id: string }>('POST', '/guest-lists', { name: 'Gala' });
  await call('POST', `/guest-lists/${list.body.id}/guests`, {
    guests: [{ phone: '+12125554301', name: 'Ana', variables: { table: '4' }, consent }],
  });
  const guests = await call<{ guests: Array<{ id: string }> }>('GET', `/guest-lists/${list.body.id}/guests`);
  const c = await call<{ id: string }>('POST', '/campaigns', { listId: list.body.id, name: 'Gala', ...body });
  expect(c.status, JSON.stringify(c.body)).toBe(201);
  return { id: c.body.id, guestId: guests.body.guests[0]!.id };
}

const testSendRows = (id: string) =>
  t.database.db.select().from(campaignTestSends).where(eq(campaignTestSends.campaignId, id));

beforeAll(async () => {
  await skipTo(t.env, '2027-03-02T15:00:00Z');
});

describe('test send of a chosen variant', () => {
  it("sends the chosen variant's text (default the first); an index out of range is 400 naming `variant`", async () => {
    const { id, guestId } = await campaign({
      variants: [
        { template: 'Hi {{name}}, table {{table}}.', weight: 50 },
        { template: 'Hello {{name}}! Your table: {{table}}', weight: 30 },
        { template: '{{name}}, doors open at 7 (table {{table}})', weight: 20 },
      ],
    });
    const staff = '+12125554302';
    const second = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, {
      to: [staff],
      guestId,
      variant: 1,
    });
    expect(second.status).toBe(202);
    expect(second.body.variant).toBe(1);
    expect(second.body.testSends.map((s) => s.body)).toEqual([
      'Crewline: Hello Ana! Your table: 4 Reply STOP to opt out.',
    ]);
    const third = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, {
      to: [staff],
      variables: { name: 'Sam', table: '9' },
      variant: 2,
    });
    expect(third.body.testSends[0]!.body).toBe(
      'Crewline: Sam, doors open at 7 (table 9) Reply STOP to opt out.',
    );
    const first = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, { to: [staff], guestId });
    expect(first.body.variant).toBe(0);
    expect(first.body.testSends[0]!.body).toBe('Crewline: Hi Ana, table 4. Reply STOP to opt out.');

    // The texts that went out are exactly those bodies.
    const sent = await waitFor(async () => {
      const rows = await t.database.db.select().from(messages).where(eq(messages.toPhone, staff));
      return rows.length === 3 && rows.every((m) => m.providerSid) && rows;
    }, 'three test texts');
    expect(sent.map((m) => m.body).sort()).toEqual(
      [second, third, first].map((r) => r.body.testSends[0]!.body).sort(),
    );

    const before = (await testSendRows(id)).length;
    for (const variant of [3, 4, -1, 1.5, '1']) {
      const bad = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, {
        to: [staff],
        guestId,
        variant,
      });
      expect(bad.status, String(variant)).toBe(400);
      expect(bad.body.errors?.map((e) => e.field)).toEqual(['variant']);
    }
    expect(await testSendRows(id)).toHaveLength(before); // nothing half-written
  });

  it('a campaign without variants has only variant 0', async () => {
    const { id, guestId } = await campaign({ template: 'Doors open at 7, {{name}}' });
    const ok = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, {
      to: ['+12125554303'],
      guestId,
      variant: 0,
    });
    expect(ok.status).toBe(202);
    expect(ok.body.testSends[0]!.body).toBe('Crewline: Doors open at 7, Ana Reply STOP to opt out.');
    const bad = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, {
      to: ['+12125554303'],
      guestId,
      variant: 1,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'variant', message: 'must be from 0 to 0' }]);
    expect(await testSendRows(id)).toHaveLength(1);
  });
});
