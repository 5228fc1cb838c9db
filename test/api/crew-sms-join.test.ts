/**
 * `JOIN <code>` and `LEAVE [<code>]` by SMS from members' phones, through the Twilio webhook with real Postgres,
 * the time-skipping server and the real workers (sandbox SMS): the confirmation carries the consent statement
 * and YES joins (ledger evidence: both inbound ids and the exact text agreed to; the running challenge is told),
 * NO cancels; a wrong code, a full crew and a member already in get a clear text; a redelivered JOIN is handled
 * once; LEAVE leaves the only crew, asks which one when there are several, and LEAVE <code> leaves that one.
 */
import { randomUUID } from 'node:crypto';
import { and, asc, eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { insertMember } from '../../db/members.js';
import { consentEvents, inboundMessages, messages } from '../../db/schema.js';
import {
  alreadyMemberText,
  chooseCrewText,
  crewFullText,
  JOIN_CANCELLED_TEXT,
  joinConfirmText,
  joinedText,
  leftText,
  wrongCodeText,
} from '../../workflows/crew/texts.js';
import { inboundWorkflowId } from '../../workflows/ids.js';
import { jsonCalls } from '../helpers/app.js';
import { captureHistory } from '../helpers/histories.js';
import { newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

const t = stackWithApp();
let seq = 0;

const call = jsonCalls(() => t.app);

async function member() {
  const id = randomUUID();
  const phone = `+1646555${String(7300 + seq++)}`;
  await insertMember(t.database.db, {
    id,
    name: 'Ari',
    phone,
    timezone: 'America/Chicago',
    checkInTime: '19:00',
    status: 'active',
  });
  return { id, phone };
}

interface Crew {
  id: string;
  name: string;
  joinCode: string;
  members: Array<{ memberId: string }>;
}
const newCrew = async (organiserMemberId: string, name: string, maxSize: number) =>
  (
    await call<Crew>('POST', '/crews', {
      name,
      purpose: 'Walk every day',
      maxSize,
      joinable: false,
      timezone: 'America/Chicago',
      organiserMemberId,
      consent: { pulses: true, reflections: false },
    })
  ).body;

/** Texts to a member from crew commands (`inbound:<id>:…` keys), oldest first. */
const crewTexts = (memberId: string) =>
  t.database.db
    .select({ kind: messages.kind, body: messages.body })
    .from(messages)
    .where(and(eq(messages.memberId, memberId), like(messages.idempotencyKey, 'inbound:%:crew_%')))
    .orderBy(asc(messages.id));

async function textAndWait(from: { id: string; phone: string }, body: string, sid = newMessageSid()) {
  const before = (await crewTexts(from.id)).length;
  const post = sandboxInbound(t.app);
  expect((await post({ MessageSid: sid, From: from.phone, To: OUR_NUMBER, Body: body })).status).toBe(200);
  await waitFor(async () => (await crewTexts(from.id)).length > before, `the answer to "${body}"`);
  return { sid, last: (await crewTexts(from.id)).at(-1)! };
}

const crewMemberIds = async (crewId: string) =>
  (await call<Crew>('GET', `/crews/${crewId}`)).body.members.map((m) => m.memberId).sort();

describe('crew membership by SMS', () => {
  it('JOIN <code> asks for the consent, YES joins with evidence, NO cancels; wrong code, full, already in', async () => {
    const [org, a, b, c] = [await member(), await member(), await member(), await member()];
    const crew = await newCrew(org.id, 'Lakeside walkers', 3);
    const start = new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10);
    const challenge = await call<{ challengeId: string }>('POST', `/crews/${crew.id}/challenges`, {
      title: 'Walks',
      days: 30,
      startDate: start,
      minSize: 3,
    });
    expect(challenge.status).toBe(201);
    const memberCount = async () =>
      (await call<{ memberCount: number }>('GET', `/challenges/${challenge.body.challengeId}`)).body
        .memberCount;
    expect(await memberCount()).toBe(1);

    // a: JOIN (delivered twice by Twilio) → one confirmation; YES → joined.
    const confirmation = joinConfirmText(crew.name, 5);
    const join = await textAndWait(a, `join ${crew.joinCode.toLowerCase()}`);
    expect(join.last).toEqual({ kind: 'crew_join_confirm', body: confirmation });
    const post = sandboxInbound(t.app);
    await post({ MessageSid: join.sid, From: a.phone, To: OUR_NUMBER, Body: `join ${crew.joinCode}` });
    const yes = await textAndWait(a, 'YES');
    expect(yes.last).toEqual({ kind: 'crew_joined', body: joinedText(crew.name) });
    expect((await crewTexts(a.id)).map((x) => x.kind)).toEqual(['crew_join_confirm', 'crew_joined']);
    expect(await crewMemberIds(crew.id)).toEqual([org.id, a.id].sort());
    await waitFor(async () => (await memberCount()) === 2, 'the challenge told of the join');
    const [joinRow, yesRow] = await Promise.all(
      [join.sid, yes.sid].map(async (sid) =>
        t.database.db.query.inboundMessages.findFirst({ where: eq(inboundMessages.providerSid, sid) }),
      ),
    );
    const joinFlow = t.env.client.workflow.getHandle(inboundWorkflowId(joinRow!.id));
    expect(await joinFlow.result()).toBe('joined');
    await captureHistory('crew-command-join', joinFlow);
    const ledger = await t.database.db.select().from(consentEvents).where(eq(consentEvents.phone, a.phone));
    expect(ledger).toEqual([
      expect.objectContaining({
        purpose: 'crew_pulses',
        action: 'opt_in',
        source: 'sms_keyword',
        evidence: expect.objectContaining({
          crewId: crew.id,
          memberId: a.id,
          via: 'sms',
          inboundMessageIds: [joinRow!.id, yesRow!.id],
          confirmationText: confirmation,
        }),
      }),
    ]);

    // Already in; a wrong code; b says NO, then joins; c finds the crew full.
    expect((await textAndWait(a, `JOIN ${crew.joinCode}`)).last.body).toBe(alreadyMemberText(crew.name));
    expect((await textAndWait(b, 'JOIN ZZZZZZ')).last.body).toBe(wrongCodeText('ZZZZZZ'));
    await textAndWait(b, `JOIN ${crew.joinCode}`);
    expect((await textAndWait(b, 'no thanks')).last.body).toBe(JOIN_CANCELLED_TEXT);
    expect(await crewMemberIds(crew.id)).toEqual([org.id, a.id].sort());
    await textAndWait(b, `JOIN ${crew.joinCode}`);
    expect((await textAndWait(b, 'y')).last.body).toBe(joinedText(crew.name));
    expect((await textAndWait(c, `JOIN ${crew.joinCode}`)).last).toEqual({
      kind: 'crew_full',
      body: crewFullText(crew.name),
    });
    expect(await crewMemberIds(crew.id)).toEqual([org.id, a.id, b.id].sort());
    await waitFor(async () => (await memberCount()) === 3, 'the challenge told of the second join');

    // LEAVE (a's only crew): left, consent withdrawn with the text as evidence, the challenge told.
    const leave = await textAndWait(a, 'Leave');
    expect(leave.last).toEqual({ kind: 'crew_left', body: leftText(crew.name) });
    expect(await crewMemberIds(crew.id)).toEqual([org.id, b.id].sort());
    await waitFor(async () => (await memberCount()) === 2, 'the challenge told of the leave');
    const withdrawn = await t.database.db
      .select()
      .from(consentEvents)
      .where(and(eq(consentEvents.phone, a.phone), eq(consentEvents.action, 'opt_out')));
    expect(withdrawn).toEqual([
      expect.objectContaining({
        purpose: 'crew_pulses',
        evidence: expect.objectContaining({ crewId: crew.id, via: 'sms', reason: 'left the crew' }),
      }),
    ]);
  });

  it('LEAVE with several crews asks which one; LEAVE <code> leaves that one', async () => {
    const [org, m] = [await member(), await member()];
    const first = await newCrew(org.id, 'Early runners', 10);
    const second = await newCrew(org.id, 'Night readers', 10);
    for (const crew of [first, second]) {
      await textAndWait(m, `JOIN ${crew.joinCode}`);
      expect((await textAndWait(m, 'YES')).last.kind).toBe('crew_joined');
    }
    const choose = await textAndWait(m, 'LEAVE');
    expect(choose.last).toEqual({
      kind: 'crew_choose',
      body: chooseCrewText([
        { name: first.name, joinCode: first.joinCode },
        { name: second.name, joinCode: second.joinCode },
      ]),
    });
    expect(await crewMemberIds(first.id)).toContain(m.id);
    expect((await textAndWait(m, `leave ${second.joinCode}`)).last.body).toBe(leftText(second.name));
    expect(await crewMemberIds(second.id)).not.toContain(m.id);
    expect(await crewMemberIds(first.id)).toContain(m.id);
  });
});
