/**
 * Crew pulse answers by SMS end to end: real Postgres, the time-skipping server, the real workers (sandbox SMS)
 * and the Twilio webhook. A crew created and joined by API runs a one-day challenge; at 19:00 local each member
 * gets the crew's question (a conversation expectation), replies are routed to the challenge and counted, a
 * duplicate delivery of the same MessageSid is counted and answered once, late answers the next morning count
 * inside the grace, and the crew pulse is read back from the API.
 */
import { randomUUID } from 'node:crypto';
import { and, eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { insertMember } from '../../db/members.js';
import { inboundMessages, messages } from '../../db/schema.js';
import { crewChallengeWorkflowId } from '../../workflows/ids.js';
import { addDays, localDate, zonedTimeToUtc } from '../../workflows/lib/time.js';
import { jsonCalls } from '../helpers/app.js';
import { newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

const t = stackWithApp();
const NY = 'America/New_York';

const call = jsonCalls(() => t.app);

async function member(i: number) {
  const id = randomUUID();
  const phone = `+1646555${String(7100 + i)}`;
  await insertMember(t.database.db, {
    id,
    name: 'Sam',
    phone,
    timezone: NY,
    checkInTime: '07:00',
    status: 'active',
  });
  return { id, phone };
}

const textsOf = (memberId: string, kind: string) =>
  t.database.db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.memberId, memberId),
        eq(messages.kind, kind),
        like(messages.idempotencyKey, 'crew-challenge:%'),
      ),
    );

describe('crew pulse answers by SMS', () => {
  it('asks at 19:00, routes replies to the challenge, counts a redelivered text once, accepts late answers', async () => {
    const crewMembers = await Promise.all([0, 1, 2, 3, 4].map(member));
    const [org, ...others] = crewMembers;
    const crew = await call<{ id: string }>('POST', '/crews', {
      name: 'Evening stretch',
      purpose: '10 minutes of stretching a day',
      maxSize: 10,
      joinable: true,
      timezone: NY,
      organiserMemberId: org!.id,
      consent: { pulses: true, reflections: false },
    });
    expect(crew.status).toBe(201);
    for (const m of others) {
      const joined = await call('POST', `/crews/${crew.body.id}/members`, {
        memberId: m.id,
        consent: { pulses: true, reflections: false },
      });
      expect(joined.status).toBe(201);
    }
    const startDate = addDays(localDate(await t.env.currentTimeMs(), NY), 2);
    const created = await call<{ challengeId: string }>('POST', `/crews/${crew.body.id}/challenges`, {
      title: 'Stretch',
      days: 1,
      startDate,
      minSize: 5,
    });
    expect(created.status).toBe(201);
    const { challengeId } = created.body;

    // 19:00 New York on day 1: every member gets the question.
    await skipTo(t.env, new Date(zonedTimeToUtc(startDate, 19, 1, NY)));
    for (const m of crewMembers)
      await waitFor(async () => (await textsOf(m.id, 'crew_ask')).length === 1, 'the crew question');

    const post = sandboxInbound(t.app);
    const text = async (from: string, body: string, sid = newMessageSid()) => {
      expect((await post({ MessageSid: sid, From: from, To: OUR_NUMBER, Body: body })).status).toBe(200);
      return sid;
    };
    const [a, b, c, d] = others as [
      (typeof others)[0],
      (typeof others)[0],
      (typeof others)[0],
      (typeof others)[0],
    ];
    const sid = await text(a.phone, 'Y 4');
    await text(a.phone, 'Y 4', sid); // Twilio retries the webhook: same MessageSid
    await text(b.phone, 'N 2 long day at work');
    await text(c.phone, 'Y');
    for (const m of [a, b, c])
      await waitFor(async () => (await textsOf(m.id, 'crew_ack')).length === 1, 'the ack');
    const inbound = await t.database.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.providerSid, sid));
    expect(inbound).toHaveLength(1);
    expect(inbound[0]).toMatchObject({
      routeStatus: 'routed',
      routedTo: crewChallengeWorkflowId(challengeId),
    });

    // The next morning: d answers day 1 with a plain "Y" (the question it last got), the organiser with
    // "yesterday": both inside the 24 h grace.
    await skipTo(t.env, new Date(zonedTimeToUtc(addDays(startDate, 1), 8, 0, NY)));
    await text(d.phone, 'Y');
    await text(org!.phone, 'yesterday y 5');
    for (const m of [d, org!])
      await waitFor(async () => (await textsOf(m.id, 'crew_ack')).length === 1, 'the late ack');
    expect((await textsOf(d.id, 'crew_ack'))[0]!.body).toContain('done for day 1');

    // The pulse closes at the end of the day plus 24 h, and is published: 5 answered (a's text counted once).
    await skipTo(t.env, new Date(zonedTimeToUtc(addDays(startDate, 2), 0, 1, NY)));
    const read = async () => call<{ status: string; pulses: unknown[] }>('GET', `/challenges/${challengeId}`);
    await waitFor(async () => (await read()).body.status === 'completed', 'the self-close');
    expect((await read()).body.pulses).toEqual([
      {
        day: 1,
        published: true,
        figures: { responded: 5, done: 4, energyCount: 3, energySum: 11 },
        suppressed: null,
      },
    ]);
    for (const m of crewMembers) {
      expect(await textsOf(m.id, 'crew_ack')).toHaveLength(1);
      expect(await textsOf(m.id, 'crew_pulse')).toHaveLength(1);
    }
  });
});
