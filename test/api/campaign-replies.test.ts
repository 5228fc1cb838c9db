/**
 * Replies from guests (issue 10): every campaign text expects a reply, conversation routing stores each reply per
 * guest — an RSVP yes/no or free text — and counts it, also after the campaign's workflow has ended; STOP and
 * HELP behave as everywhere (STOP is not an RSVP "no"). Real Postgres, the time-skipping server and the real
 * workers; sandbox SMS.
 */
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { conversationExpectations, inboundMessages } from '../../db/schema.js';
import { json } from '../helpers/app.js';
import { newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

const t = stackWithApp();
const consent = { source: 'rsvp form', at: '2026-11-01T10:00:00Z', text: 'Text me about the gala' };

interface Replies {
  counts: { replies: number; guests: number; yes: number; no: number; other: number };
  replies: Array<{ inboundId: number; guestId: string; name: string | null; answer: string; body: string }>;
  nextBefore: number | null;
}

const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await t.app.request(path, {
    method,
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
};
const text = (from: string, body: string, sid = newMessageSid()) =>
  sandboxInbound(t.app)({ MessageSid: sid, From: from, To: OUR_NUMBER, Body: body });

beforeAll(async () => {
  await skipTo(t.env, '2027-03-02T15:00:00Z'); // 10:00 in New York: inside the marketing window
});

describe('replies from guests', () => {
  it('stores RSVPs and free text per guest, counts the latest RSVP, and keeps STOP and HELP out of it', async () => {
    const phones = ['+12125553001', '+12125553002', '+12125553003', '+12125553004', '+12125553005'];
    const list = await call<{ id: string }>('POST', '/guest-lists', { name: 'Gala' });
    const names = ['Ana', 'Bo', 'Cy', 'Di', 'Ed'];
    await call('POST', `/guest-lists/${list.body.id}/guests`, {
      guests: phones.map((phone, i) => ({ phone, name: names[i], consent })),
    });
    const campaign = await call<{ id: string }>('POST', '/campaigns', {
      listId: list.body.id,
      name: 'RSVP',
      template: 'Hi {{name}}, are you coming on Friday? Reply YES or NO.',
    });
    const id = campaign.body.id;
    await call('POST', `/campaigns/${id}/start`, {});
    await waitFor(async () => {
      const c = await call<{ status: string }>('GET', `/campaigns/${id}`);
      return c.body.status === 'completed';
    }, 'campaign completed');

    // Every campaign text registered who expects the answer.
    const expected = await t.database.db
      .select()
      .from(conversationExpectations)
      .where(eq(conversationExpectations.accepts, `campaign_reply:${id}`));
    expect(expected.map((e) => e.phone).sort()).toEqual(phones);
    expect(expected.every((e) => e.workflowId === `guest-campaign-${id}`)).toBe(true);

    const [ana, bo, cy, di, ed] = phones as [string, string, string, string, string];
    const sid = newMessageSid();
    expect((await text(ana, 'yes!', sid)).status).toBe(200);
    expect((await text(ana, 'yes!', sid)).status).toBe(200); // Twilio redelivers the same webhook
    await text(bo, 'No');
    await text(cy, 'Can I bring my partner?');
    await text(cy, '👍');
    await text(di, 'Y');
    await text(di, 'nope, sorry'); // free text: Di's RSVP stays yes
    await text(di, 'n'); // a later no overrides the yes
    await text(ed, 'STOP'); // opt-out, not an RSVP no
    await text(ed, 'HELP');

    const res = await call<Replies>('GET', `/campaigns/${id}/replies`);
    expect(res.status).toBe(200);
    expect(res.body.counts).toEqual({ replies: 7, guests: 4, yes: 2, no: 2, other: 0 });
    expect(res.body.replies.map((r) => [r.name, r.answer, r.body])).toEqual([
      ['Di', 'no', 'n'],
      ['Di', 'other', 'nope, sorry'],
      ['Di', 'yes', 'Y'],
      ['Cy', 'yes', '👍'],
      ['Cy', 'other', 'Can I bring my partner?'],
      ['Bo', 'no', 'No'],
      ['Ana', 'yes', 'yes!'],
    ]);
    const noes = await call<Replies>('GET', `/campaigns/${id}/replies?answer=no&limit=1`);
    expect(noes.body.replies.map((r) => r.name)).toEqual(['Di']);
    const next = await call<Replies>(
      'GET',
      `/campaigns/${id}/replies?answer=no&limit=1&before=${noes.body.nextBefore}`,
    );
    expect(next.body.replies.map((r) => r.name)).toEqual(['Bo']);

    // STOP: suppressed as everywhere (and the campaign's routing knew the number); HELP answered, not stored.
    const stop = await t.database.db
      .select()
      .from(inboundMessages)
      .where(and(eq(inboundMessages.fromPhone, ed)));
    expect(stop.map((m) => [m.kind, m.routeStatus])).toEqual([
      ['opt_out', 'routed'],
      ['help', 'routed'],
    ]);
    const recipients = await call<{ recipients: Array<{ phone: string }> }>(
      'GET',
      `/campaigns/${id}/recipients?state=sent`,
    );
    expect(recipients.body.recipients).toHaveLength(5);
    const resendCheck = await call('POST', '/campaigns', {
      listId: list.body.id,
      name: 'Again',
      template: 'Hi {{name}}',
    });
    const again = (resendCheck.body as { id: string }).id;
    await call('POST', `/campaigns/${again}/start`, {});
    await waitFor(async () => {
      const c = await call<{ status: string; recipients: Array<{ state: string; reason: string | null }> }>(
        'GET',
        `/campaigns/${again}`,
      );
      return c.body.status === 'completed' && c.body.recipients;
    }, 'second campaign completed').then((recipients) =>
      expect(recipients).toContainEqual({ state: 'skipped', reason: 'suppressed:opt_out', count: 1 }),
    );

    // Replies to the first campaign after the second one texted: the newest expectation (the second) gets them.
    await text(bo, 'yes');
    const second = await call<Replies>('GET', `/campaigns/${again}/replies`);
    expect(second.body.counts).toEqual({ replies: 1, guests: 1, yes: 1, no: 0, other: 0 });
    expect((await call<Replies>('GET', `/campaigns/${id}/replies`)).body.counts.replies).toBe(7);

    expect((await call('GET', `/campaigns/${id}/replies?answer=maybe`)).status).toBe(400);
    expect((await call('GET', '/campaigns/3f1c2a4e-0000-4000-8000-000000000000/replies')).status).toBe(404);
  });
});
