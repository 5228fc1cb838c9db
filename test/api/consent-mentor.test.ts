/**
 * The mentor's opt-in in the consent ledger (db/consent.ts `recordMentorOptIn`, called when the match records an
 * offer accepted by SMS): purpose `mentorship`, source `signup`, with the YES's inbound id and provider sid and
 * the exact offer text the mentor was shown before it (the reminder when that was the newest). Only the mentor's
 * own accepting text routed to that match counts; recorded once however often the activity runs; an erased
 * mentor records nothing. Real Postgres. (The end-to-end path, SMS YES → match → ledger, is in
 * test/api/mentorship.test.ts.)
 */
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordMentorOptIn } from '../../db/consent.js';
import { consentEvents, inboundMessages, members, mentors, messages } from '../../db/schema.js';
import { createTestDatabase } from '../helpers/db.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database?.close();
});

let seq = 0;
async function mentorWithOffer(matchId: string) {
  const n = seq++;
  const memberId = crypto.randomUUID();
  const mentorId = crypto.randomUUID();
  const phone = `+1415555${String(7100 + n).padStart(4, '0')}`;
  const db = database.db;
  await db.insert(members).values({ id: memberId, name: 'Mo', phone, timezone: 'UTC', checkInTime: '09:00' });
  await db.insert(mentors).values({
    id: mentorId,
    memberId,
    expertise: ['running'],
    languages: ['en'],
    availability: [],
    capacity: 2,
  });
  const key = `mentorship-match:${matchId}:offer:${mentorId}`;
  const sent = (k: string, kind: string, body: string, at: string) =>
    db
      .insert(messages)
      .values({
        idempotencyKey: k,
        memberId,
        toPhone: phone,
        body,
        kind,
        provider: 'sandbox',
        status: 'delivered',
        providerSid: `SM${crypto.randomUUID().replace(/-/g, '')}`,
        sentAt: new Date(at),
        createdAt: new Date(at),
      })
      .returning();
  const [offer] = await sent(
    key,
    'mentorship_offer',
    'A mentee would like you as mentor. YES or NO?',
    '2027-01-10T10:00:00Z',
  );
  const [reminder] = await sent(
    `${key}:reminder:0`,
    'mentorship_offer_reminder',
    'Reminder: a mentee is waiting. Reply YES or NO.',
    '2027-01-11T10:00:00Z',
  );
  const inbound = async (body: string, at: string, routedTo = `mentorship-match-${matchId}`, from = phone) =>
    (
      await db
        .insert(inboundMessages)
        .values({
          providerSid: `SM${crypto.randomUUID().replace(/-/g, '')}`,
          fromPhone: from,
          toPhone: '+15005550006',
          body,
          routeStatus: 'routed',
          routedTo,
          receivedAt: new Date(at),
        })
        .returning()
    )[0]!;
  return { memberId, mentorId, phone, offer: offer!, reminder: reminder!, inbound };
}

const ledger = (phone: string) =>
  database.db
    .select()
    .from(consentEvents)
    .where(and(eq(consentEvents.phone, phone), eq(consentEvents.purpose, 'mentorship')));

describe("the mentor's opt-in in the consent ledger", () => {
  it('records the YES with its inbound id and the exact offer text shown, once', async () => {
    const matchId = crypto.randomUUID();
    const m = await mentorWithOffer(matchId);
    await m.inbound('what is this?', '2027-01-11T11:00:00Z');
    const yes = await m.inbound('Yes!', '2027-01-11T12:00:00Z');
    // Someone else's YES to the same match, and Mo's YES to another match, are not his evidence here.
    await m.inbound('YES', '2027-01-11T12:30:00Z', `mentorship-match-${matchId}`, '+14155559999');
    await m.inbound('YES', '2027-01-11T12:40:00Z', `mentorship-match-${crypto.randomUUID()}`);

    expect(await recordMentorOptIn(database.db, { matchId, mentorId: m.mentorId })).toBe(true);
    expect(await recordMentorOptIn(database.db, { matchId, mentorId: m.mentorId })).toBe(true); // a retry
    const events = await ledger(m.phone);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'opt_in', source: 'signup' });
    expect(events[0]!.evidence).toEqual({
      memberId: m.memberId,
      mentorId: m.mentorId,
      matchId,
      inboundMessageId: yes.id,
      providerSid: yes.providerSid,
      optInMessageId: m.reminder.id,
      optInKind: 'mentorship_offer_reminder',
      optInText: 'Reminder: a mentee is waiting. Reply YES or NO.',
      optInSentAt: '2027-01-11T10:00:00.000Z',
    });
  });

  it('the offer itself is the text shown when the YES came before any reminder', async () => {
    const matchId = crypto.randomUUID();
    const m = await mentorWithOffer(matchId);
    const yes = await m.inbound('ok', '2027-01-10T11:00:00Z');
    expect(await recordMentorOptIn(database.db, { matchId, mentorId: m.mentorId })).toBe(true);
    const [event] = await ledger(m.phone);
    expect(event!.evidence).toMatchObject({
      inboundMessageId: yes.id,
      optInMessageId: m.offer.id,
      optInText: 'A mentee would like you as mentor. YES or NO?',
    });
  });

  it('records nothing without an accepting text from the mentor, or for an erased mentor', async () => {
    const matchId = crypto.randomUUID();
    const m = await mentorWithOffer(matchId);
    await m.inbound('No thanks', '2027-01-10T11:00:00Z');
    expect(await recordMentorOptIn(database.db, { matchId, mentorId: m.mentorId })).toBe(false);
    expect(await ledger(m.phone)).toEqual([]);

    const other = crypto.randomUUID();
    const e = await mentorWithOffer(other);
    await e.inbound('YES', '2027-01-10T11:00:00Z');
    await database.db.update(members).set({ status: 'erased' }).where(eq(members.id, e.memberId));
    expect(await recordMentorOptIn(database.db, { matchId: other, mentorId: e.mentorId })).toBe(false);
    expect(await ledger(e.phone)).toEqual([]);
  });
});
