/**
 * `JOIN <code>` from phones that are not members' yet, through the Twilio webhook with real Postgres, the
 * time-skipping server and the real workers (sandbox SMS): the confirmation carries the welcome's terms and the
 * consent statement; YES makes the phone an active member (its own member workflow running, search attributes
 * set) and joins, with the ledger's evidence (both inbound ids, the exact text); the running challenge is told.
 * A wrong code, NO, a crew full at the JOIN, and a crew that filled up before the YES create nothing.
 */
import { randomUUID } from 'node:crypto';
import { asc, eq, like, and } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { insertMember } from '../../db/members.js';
import { consentEvents, members, messages } from '../../db/schema.js';
import { NEWCOMER_CHECK_IN_TIME } from '../../workflows/crew/newcomer.js';
import {
  crewFullText,
  JOIN_CANCELLED_TEXT,
  newcomerConfirmText,
  newcomerJoinedText,
  wrongCodeText,
} from '../../workflows/crew/texts.js';
import { inboundWorkflowId, memberWorkflowId } from '../../workflows/ids.js';
import { MEMBER_ID_SA, MEMBER_STATUS_SA } from '../../workflows/member/search-attributes.js';
import { jsonCalls } from '../helpers/app.js';
import { captureHistory } from '../helpers/histories.js';
import { crewSms } from '../helpers/crew-sms.js';
import { stackWithApp } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

const t = stackWithApp();
const sms = crewSms(t);

const call = jsonCalls(() => t.app);

/** Crew command texts to a phone (`inbound:<id>:crew_…` keys), oldest first. */
const textsTo = (phone: string) =>
  t.database.db
    .select({ kind: messages.kind, body: messages.body, memberId: messages.memberId })
    .from(messages)
    .where(and(eq(messages.toPhone, phone), like(messages.idempotencyKey, 'inbound:%:crew_%')))
    .orderBy(asc(messages.id));

const textAndWait = (phone: string, body: string) => sms.textAndWait(phone, body, () => textsTo(phone));

const memberByPhone = (phone: string) =>
  t.database.db.query.members.findFirst({ where: eq(members.phone, phone) });

interface Crew {
  id: string;
  name: string;
  joinCode: string;
  members: Array<{ memberId: string; role: string }>;
}

describe('JOIN <code> from a phone that is not a member yet', () => {
  it('YES makes it a member and joins it with consent evidence; wrong code, NO and a full crew create nothing', async () => {
    const orgId = randomUUID();
    await insertMember(t.database.db, {
      id: orgId,
      name: 'Oda',
      phone: '+16465558000',
      timezone: 'Europe/Berlin',
      checkInTime: '08:00',
      status: 'active',
    });
    const crew = (
      await call<Crew>('POST', '/crews', {
        name: 'Harbour swimmers',
        purpose: 'Swim every day',
        maxSize: 3,
        joinable: false,
        timezone: 'Europe/Berlin',
        organiserMemberId: orgId,
        consent: { pulses: true, reflections: false },
      })
    ).body;
    const start = new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10);
    const challenge = await call<{ challengeId: string }>('POST', `/crews/${crew.id}/challenges`, {
      title: 'Swims',
      days: 30,
      startDate: start,
      minSize: 3,
    });
    expect(challenge.status).toBe(201);
    const memberCount = async () =>
      (await call<{ memberCount: number }>('GET', `/challenges/${challenge.body.challengeId}`)).body
        .memberCount;
    const [p1, p2, p3, p4, p5] = [
      '+447700900101',
      '+447700900102',
      '+447700900103',
      '+447700900104',
      '+447700900105',
    ];

    // A wrong code: a clear text to the phone, nothing created.
    expect((await textAndWait(p1, 'JOIN ZZZZZZ')).last.body).toBe(wrongCodeText('ZZZZZZ'));
    expect(await memberByPhone(p1)).toBeUndefined();

    // JOIN → the confirmation with the welcome's terms and the consent statement → YES → member, crew, ledger.
    const confirmation = newcomerConfirmText(crew.name, 5, NEWCOMER_CHECK_IN_TIME);
    const join = await textAndWait(p1, `join ${crew.joinCode}`);
    expect(join.last).toEqual({ kind: 'crew_join_confirm', body: confirmation, memberId: null });
    expect(await memberByPhone(p1)).toBeUndefined(); // nothing before the YES
    const yes = await textAndWait(p1, 'Yes');
    const m1 = await memberByPhone(p1);
    expect(m1).toMatchObject({
      name: '',
      status: 'active',
      timezone: 'Europe/Berlin',
      checkInTime: NEWCOMER_CHECK_IN_TIME,
    });
    expect(yes.last).toEqual({
      kind: 'crew_joined',
      body: newcomerJoinedText(crew.name, NEWCOMER_CHECK_IN_TIME),
      memberId: m1!.id,
    });
    const joinFlow = t.env.client.workflow.getHandle(inboundWorkflowId(join.inboundId));
    expect(await joinFlow.result()).toBe('joined');
    await captureHistory('crew-command-newcomer', joinFlow);
    const crewNow = (await call<Crew>('GET', `/crews/${crew.id}`)).body;
    expect(crewNow.members.map((m) => m.memberId).sort()).toEqual([orgId, m1!.id].sort());
    const ledger = await t.database.db.select().from(consentEvents).where(eq(consentEvents.phone, p1));
    expect(ledger).toEqual([
      expect.objectContaining({
        purpose: 'crew_pulses',
        action: 'opt_in',
        source: 'sms_keyword',
        evidence: expect.objectContaining({
          crewId: crew.id,
          memberId: m1!.id,
          via: 'sms',
          inboundMessageIds: [join.inboundId, yes.inboundId],
          confirmationText: confirmation,
        }),
      }),
    ]);
    // Their own member workflow runs (already confirmed), findable by the member id.
    const own = await t.env.client.workflow.getHandle(memberWorkflowId(m1!.id)).describe();
    expect(own.status.name).toBe('RUNNING');
    expect(own.typedSearchAttributes.get(MEMBER_ID_SA)).toBe(m1!.id);
    expect(own.typedSearchAttributes.get(MEMBER_STATUS_SA)).toBe('active');
    await waitFor(async () => (await memberCount()) === 2, 'the challenge told of the join');
    // The member's profile is readable like any other (no name until they give one).
    expect((await call<{ status: string }>('GET', `/members/${m1!.id}`)).body.status).toBe('active');

    // NO cancels: nothing created.
    await textAndWait(p2, `JOIN ${crew.joinCode}`);
    expect((await textAndWait(p2, 'no')).last.body).toBe(JOIN_CANCELLED_TEXT);
    expect(await memberByPhone(p2)).toBeUndefined();

    // Two confirmations out while there is one place left: the first YES takes it, the second finds it full.
    await textAndWait(p3, `JOIN ${crew.joinCode}`);
    await textAndWait(p4, `JOIN ${crew.joinCode}`);
    expect((await textAndWait(p3, 'Y')).last.kind).toBe('crew_joined');
    expect((await textAndWait(p4, 'YES')).last).toEqual({
      kind: 'crew_full',
      body: crewFullText(crew.name),
      memberId: null,
    });
    expect(await memberByPhone(p4)).toBeUndefined();
    // Full at the JOIN: told at once, nothing created.
    expect((await textAndWait(p5, `JOIN ${crew.joinCode}`)).last.body).toBe(crewFullText(crew.name));
    expect(await memberByPhone(p5)).toBeUndefined();
    expect(await t.database.db.select().from(consentEvents).where(eq(consentEvents.phone, p4))).toEqual([]);
    await waitFor(async () => (await memberCount()) === 3, 'the challenge told of the second join');
  }, 600_000);
});
