/**
 * Campaign test sends (issue 10): the campaign's text to up to 5 numbers, rendered for a chosen guest or from
 * sample variables, marked as tests (kind `campaign_test`), not counted in the campaign's figures and never
 * marking a guest as sent. Real Postgres, the time-skipping server and the real workers; sandbox SMS.
 */
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { campaignRecipients, messages } from '../../db/schema.js';
import { json } from '../helpers/app.js';
import { newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

const t = stackWithApp();
const consent = { source: 'rsvp form', at: '2026-11-01T10:00:00Z', text: 'Text me about the gala' };

interface TestSends {
  testSends: Array<{
    id: string;
    phone: string;
    guestId: string | null;
    body: string;
    messageStatus: string | null;
  }>;
  segments: number;
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

beforeAll(async () => {
  await skipTo(t.env, '2027-03-02T15:00:00Z');
});

describe('test sends', () => {
  it('texts up to 5 numbers for a guest or sample variables, as tests that count for nothing', async () => {
    const list = await call<{ id: string }>('POST', '/guest-lists', { name: 'Gala' });
    await call('POST', `/guest-lists/${list.body.id}/guests`, {
      guests: [{ phone: '+12125554001', name: 'Ana', variables: { table: '4' }, consent }],
    });
    const guests = await call<{ guests: Array<{ id: string }> }>(
      'GET',
      `/guest-lists/${list.body.id}/guests`,
    );
    const guestId = guests.body.guests[0]!.id;
    const campaign = await call<{ id: string }>('POST', '/campaigns', {
      listId: list.body.id,
      name: 'Gala',
      template: 'Hi {{name}}, you are at table {{table}}.',
    });
    const id = campaign.body.id;
    const staff = ['+12125554101', '+14155554102'];
    const forGuest = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, { to: staff, guestId });
    expect(forGuest.status).toBe(202);
    expect(forGuest.body.testSends.map((s) => [s.phone, s.body])).toEqual([
      [staff[0], 'Crewline: Hi Ana, you are at table 4. Reply STOP to opt out.'],
      [staff[1], 'Crewline: Hi Ana, you are at table 4. Reply STOP to opt out.'],
    ]);
    const sample = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, {
      to: [staff[0]],
      variables: { name: 'Sample', table: '99' },
    });
    expect(sample.status).toBe(202);

    // A staff number that texted STOP is not texted (suppression holds for tests too).
    const stopped = '+12125554103';
    await sandboxInbound(t.app)({ MessageSid: newMessageSid(), From: stopped, To: OUR_NUMBER, Body: 'STOP' });
    await call('POST', `/campaigns/${id}/test-sends`, { to: [stopped], guestId });

    const sent = await waitFor(async () => {
      const rows = await t.database.db.select().from(messages).where(eq(messages.kind, 'campaign_test'));
      return rows.length === 4 && rows.every((m) => m.status !== 'attempting') && rows;
    }, 'test texts');
    expect(
      sent
        .filter((m) => m.providerSid)
        .map((m) => [m.toPhone, m.body])
        .sort(),
    ).toEqual(
      [
        [staff[0], 'Crewline: Hi Ana, you are at table 4. Reply STOP to opt out.'],
        [staff[0], 'Crewline: Hi Sample, you are at table 99. Reply STOP to opt out.'],
        [staff[1], 'Crewline: Hi Ana, you are at table 4. Reply STOP to opt out.'],
      ].sort(),
    );
    expect(sent.find((m) => m.toPhone === stopped)).toMatchObject({ status: 'dropped', providerSid: null });
    expect(
      sent.every((m) => m.campaignId === null && m.idempotencyKey.startsWith(`campaign:${id}:test:`)),
    ).toBe(true);
    const listed = await call<TestSends>('GET', `/campaigns/${id}/test-sends`);
    expect(listed.body.testSends).toHaveLength(4);
    expect(listed.body.testSends.filter((s) => s.messageStatus === 'delivered')).toHaveLength(3);

    // Not counted, no guest marked: the campaign is still a draft with no recipient rows; when it runs, Ana
    // gets her own text.
    expect(
      await t.database.db.select().from(campaignRecipients).where(eq(campaignRecipients.campaignId, id)),
    ).toEqual([]);
    await call('POST', `/campaigns/${id}/start`, {});
    await waitFor(
      async () => (await call<{ status: string }>('GET', `/campaigns/${id}`)).body.status === 'completed',
      'done',
    );
    const real = await t.database.db.select().from(messages).where(eq(messages.campaignId, id));
    expect(real.map((m) => [m.toPhone, m.kind])).toEqual([['+12125554001', 'campaign']]);
  });

  it('refuses bad input naming the field', async () => {
    const list = await call<{ id: string }>('POST', '/guest-lists', { name: 'Bad' });
    const campaign = await call<{ id: string }>('POST', '/campaigns', {
      listId: list.body.id,
      name: 'x',
      template: 'Hi {{name}}',
    });
    const id = campaign.body.id;
    const six = [
      '+12125554201',
      '+12125554202',
      '+12125554203',
      '+12125554204',
      '+12125554205',
      '+12125554206',
    ];
    const tooMany = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, {
      to: six,
      variables: { name: 'a' },
    });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors?.[0]?.field).toBe('to');
    const neither = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, { to: [six[0]] });
    expect(neither.body.errors?.[0]?.field).toBe('guestId');
    const missing = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, {
      to: [six[0]],
      variables: { table: '1' },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([{ field: 'variables.name', message: 'missing variable "name"' }]);
    const notOnList = await call('POST', `/campaigns/${id}/test-sends`, {
      to: [six[0]],
      guestId: '3f1c2a4e-0000-4000-8000-000000000000',
    });
    expect(notOnList.status).toBe(404);
    const badPhone = await call<TestSends>('POST', `/campaigns/${id}/test-sends`, {
      to: ['0123'],
      variables: { name: 'a' },
    });
    expect(badPhone.body.errors?.[0]?.field).toBe('to.0');
  });
});
