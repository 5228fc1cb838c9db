/**
 * The member's double opt-in in the consent ledger (db/consent.ts `recordMemberOptIn`): POST /members sends the
 * welcome; the member's YES by webhook is recorded as an opt-in to check-ins (source `signup`) with its evidence —
 * the YES's inbound id and provider sid and the exact welcome text shown — once, however often the activity runs.
 * STOP afterwards is an opt-out of everything. Real Postgres, time-skipping Temporal, real workers (stackWithApp).
 */
import { and, eq, isNotNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { recordMemberOptIn } from '../../db/consent.js';
import { consentEvents, inboundMessages, messages } from '../../db/schema.js';
import { auth, json } from '../helpers/app.js';
import { confirmMember, newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

const t = stackWithApp();

/** A zone where it is daytime now (10:00–17:59), so the welcome is sent at once, not held for quiet hours. */
function daytimeZone(): string {
  const zones = [
    'Pacific/Auckland',
    'Asia/Tokyo',
    'Asia/Kolkata',
    'Europe/Berlin',
    'America/Sao_Paulo',
    'America/New_York',
    'America/Los_Angeles',
    'Pacific/Honolulu',
  ];
  const hour = (tz: string) =>
    Number(
      new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', hourCycle: 'h23' }).format(
        new Date(),
      ),
    );
  return zones.find((tz) => hour(tz) >= 10 && hour(tz) < 18)!;
}

interface ConsentJson {
  state: { optedOut: boolean; transactional: boolean };
  events: Array<{ purpose: string; action: string; source: string; evidence: Record<string, unknown> }>;
}
const consentOf = async (phone: string) =>
  (await (
    await t.app.request(`/consent/${encodeURIComponent(phone)}`, { headers: auth })
  ).json()) as ConsentJson;

describe('double opt-in recorded in the consent ledger', () => {
  it('the YES to the welcome is an opt-in to check-ins with the inbound id and the exact text shown', async () => {
    const phone = '+14155550161';
    const res = await t.app.request('/members', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'Lea', phone, timezone: daytimeZone(), checkInTime: '19:00' }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const welcome = await waitFor(
      async () =>
        (
          await t.database.db
            .select()
            .from(messages)
            .where(and(eq(messages.idempotencyKey, `member:${id}:welcome`), isNotNull(messages.providerSid)))
        )[0],
      'welcome sent',
    );
    // Before the YES the ledger has nothing for the number.
    expect((await consentOf(phone)).events).toEqual([]);

    await confirmMember(t.env.client, { id, phone }, sandboxInbound(t.app));
    const yes = (
      await t.database.db.select().from(inboundMessages).where(eq(inboundMessages.fromPhone, phone))
    ).at(-1)!;
    const { state, events } = await waitFor(async () => {
      const c = await consentOf(phone);
      return c.events.length > 0 ? c : undefined;
    }, 'opt-in recorded');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ purpose: 'checkins', action: 'opt_in', source: 'signup' });
    expect(events[0]!.evidence).toEqual({
      memberId: id,
      inboundMessageId: yes.id,
      providerSid: yes.providerSid,
      optInMessageId: welcome.id,
      optInKind: 'welcome',
      optInText: welcome.body,
      optInSentAt: welcome.sentAt!.toISOString(),
    });
    expect(welcome.body).toContain('YES');
    expect(state).toMatchObject({ optedOut: false, transactional: true });

    // Recorded once: a retried activity finds the event.
    expect(await recordMemberOptIn(t.database.db, { memberId: id, inboundId: yes.id })).toBe(true);
    const rows = await t.database.db.select().from(consentEvents).where(eq(consentEvents.phone, phone));
    expect(rows).toHaveLength(1);

    // Someone else's text is no evidence of this member's consent.
    const [other] = await t.database.db
      .insert(inboundMessages)
      .values({
        providerSid: newMessageSid(),
        fromPhone: '+14155550162',
        toPhone: OUR_NUMBER,
        body: 'YES',
        kind: 'message',
      })
      .returning();
    expect(await recordMemberOptIn(t.database.db, { memberId: id, inboundId: other!.id })).toBe(false);

    // STOP means all: the number is opted out of everything, check-ins included.
    await sandboxInbound(t.app)({ MessageSid: newMessageSid(), From: phone, To: OUR_NUMBER, Body: 'STOP' });
    const after = await consentOf(phone);
    expect(after.state).toMatchObject({ optedOut: true, transactional: false });
    expect(after.events.map((e) => `${e.purpose}:${e.action}`)).toEqual(['checkins:opt_in', 'all:opt_out']);
  });
});
