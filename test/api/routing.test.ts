/**
 * Conversation routing through the webhook, with real Postgres, the time-skipping Temporal server and the real
 * workers (sandbox SMS): the newest open expectation wins, then the member's workflow, else the text is kept
 * unrouted and listed by GET /inbox; keywords reach every workflow holding the phone; a duplicate inbound is
 * routed at most once; media-only MMS and hostile form fields.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { recordExpectation, sanitizeText } from '../../db/inbound.js';
import { inboundMessages, members, messages } from '../../db/schema.js';
import { memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import type { InboundReply } from '../../workflows/lib/conversation.js';
import { memberWorkflow } from '../../workflows/member/workflow.js';
import { auth } from '../helpers/app.js';
import { newMessageSid, OUR_NUMBER } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

const t = stackWithApp();
let phoneSeq = 0;
const newPhone = () => `+1415557${String(1000 + phoneSeq++).padStart(4, '0')}`;

async function post(fields: Record<string, string>) {
  return t.app.request('/webhooks/twilio/sms', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

/** Twilio posting a text (sandbox: unsigned); returns the stored row. */
async function text(from: string, body: string, extra: Record<string, string> = {}) {
  const MessageSid = extra.MessageSid ?? newMessageSid();
  const res = await post({ MessageSid, From: from, To: OUR_NUMBER, Body: body, NumMedia: '0', ...extra });
  expect(res.status).toBe(200);
  return (await t.database.db.query.inboundMessages.findFirst({
    where: eq(inboundMessages.providerSid, MessageSid),
  }))!;
}

/** A running workflow that handles the conversation signals (a member workflow stands in for any entity). */
async function conversationalWorkflow(workflowId: string, memberId: string = crypto.randomUUID()) {
  return t.env.client.workflow.start(memberWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId,
    args: [{ memberId, timezone: 'America/New_York', checkInTime: '19:00' }],
  });
}

async function member(phone: string) {
  const id = crypto.randomUUID();
  await t.database.db
    .insert(members)
    .values({ id, name: 'R', phone, timezone: 'America/New_York', checkInTime: '19:00' });
  const handle = await conversationalWorkflow(memberWorkflowId(id), id);
  return { id, handle };
}

/** The signals of one name a workflow received, with their decoded payloads. */
async function signalsNow(handle: WorkflowHandle, name: string) {
  const history = await handle.fetchHistory();
  const payloads = (history.events ?? [])
    .map((e) => e.workflowExecutionSignaledEventAttributes)
    .filter((a) => a?.signalName === name)
    .map((a) => a!.input!.payloads![0]!);
  // The history holds reply texts sealed with the sender's key (README "Privacy"): opened through the codec.
  return (await t.payloadCodec.decode(payloads)).map((p) =>
    defaultPayloadConverter.fromPayload<InboundReply>(p),
  );
}

/**
 * The signals once `count` have arrived (a signal sent while a workflow task is in flight enters the history
 * when that task completes), and a moment later, so an extra one would be seen too.
 */
async function signals(handle: WorkflowHandle, name: string, count = 1) {
  if (count > 0)
    await waitFor(async () => (await signalsNow(handle, name)).length >= count, `${name} signal`);
  await new Promise((r) => setTimeout(r, 300));
  return signalsNow(handle, name);
}

const expect_ = (phone: string, workflowId: string, accepts: string, inMs: number, key: string) =>
  recordExpectation(t.database.db, {
    phone,
    workflowId,
    accepts,
    expiresAt: new Date(Date.now() + inMs),
    idempotencyKey: key,
  });

describe('a non-keyword reply', () => {
  it('goes to the newest open expectation, with what it accepts; after that expires, to the member', async () => {
    const phone = newPhone();
    const m = await member(phone);
    const crewId = `crew-${crypto.randomUUID()}`;
    const crew = await conversationalWorkflow(crewId);
    await expect_(phone, m.handle.workflowId, 'checkin_reply', 3_600_000, `member:${m.id}:checkin:x`);
    await new Promise((r) => setTimeout(r, 10)); // the crew's text is the newer one
    await expect_(phone, crewId, 'crew_vote', 1_500, `crew:${crewId}:vote:1`);

    const first = await text(phone, 'I vote for Saturday');
    expect(first).toMatchObject({ routeStatus: 'routed', routedTo: crewId });
    expect(await signals(crew, 'reply')).toEqual([
      expect.objectContaining({ inboundId: first.id, body: 'I vote for Saturday', accepts: 'crew_vote' }),
    ]);
    expect(await signals(m.handle, 'reply', 0)).toEqual([]);

    await new Promise((r) => setTimeout(r, 1_600)); // the crew's question expires
    const second = await text(phone, 'Y ran 3k');
    expect(second).toMatchObject({ routeStatus: 'routed', routedTo: m.handle.workflowId });
    expect(await signals(m.handle, 'reply')).toEqual([
      expect.objectContaining({ inboundId: second.id, accepts: 'checkin_reply' }),
    ]);
    expect(await signals(crew, 'reply')).toHaveLength(1);
  });

  it("with no open expectation goes to the member's workflow, without `accepts`", async () => {
    const phone = newPhone();
    const m = await member(phone);
    const row = await text(phone, 'hello');
    expect(row.routedTo).toBe(m.handle.workflowId);
    const [reply] = await signals(m.handle, 'reply');
    expect(reply).toMatchObject({ inboundId: row.id, body: 'hello' });
    expect(reply).not.toHaveProperty('accepts');
  });

  it('from a number nobody holds is kept unrouted and listed by GET /inbox', async () => {
    const phone = newPhone();
    const row = await text(phone, 'who is this?');
    expect(row).toMatchObject({ routeStatus: 'unrouted', routedTo: null });
    const res = await t.app.request('/inbox?status=unrouted&limit=100', { headers: auth });
    expect(res.status).toBe(200);
    const page = (await res.json()) as { messages: { id: number; from: string; body: string }[] };
    expect(page.messages).toContainEqual(
      expect.objectContaining({ id: row.id, from: phone, body: 'who is this?', routeStatus: 'unrouted' }),
    );
    // Newest first, and the API key is required.
    const ids = page.messages.map((x) => x.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect((await t.app.request('/inbox')).status).toBe(401);
  });

  it('GET /inbox pages with a cursor and names a bad parameter', async () => {
    const phone = newPhone();
    const rows = [await text(phone, 'one'), await text(phone, 'two'), await text(phone, 'three')];
    const page1 = (await (await t.app.request('/inbox?limit=2', { headers: auth })).json()) as {
      messages: { id: number }[];
      nextBefore: number | null;
    };
    expect(page1.messages.map((x) => x.id)).toEqual([rows[2]!.id, rows[1]!.id]);
    expect(page1.nextBefore).toBe(rows[1]!.id);
    const page2 = (await (
      await t.app.request(`/inbox?limit=2&before=${page1.nextBefore}`, { headers: auth })
    ).json()) as { messages: { id: number }[] };
    expect(page2.messages[0]!.id).toBe(rows[0]!.id);
    const bad = await t.app.request('/inbox?status=lost&before=99999999999999999999', { headers: auth });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const body = (await bad.json()) as { errors: { field: string }[] };
    expect([...new Set(body.errors.map((e) => e.field))].sort()).toEqual(['before', 'status']);
  });

  it('posted 5 times at once (Twilio retries) is signalled exactly once', async () => {
    const phone = newPhone();
    const m = await member(phone);
    const MessageSid = newMessageSid();
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        post({ MessageSid, From: phone, To: OUR_NUMBER, Body: 'Y all done', NumMedia: '0' }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    const rows = await t.database.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.providerSid, MessageSid));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.routeStatus).toBe('routed');
    expect(await signals(m.handle, 'reply')).toEqual([expect.objectContaining({ inboundId: rows[0]!.id })]);
  });
});

describe('a burst from one number', () => {
  it('is delivered in the order stored, each once, without the inbox drainer (hand-off)', async () => {
    const phone = newPhone();
    const m = await member(phone);
    // Posted all at once: most find an older text of the number still in flight and are stored `pending`; the
    // webhook that delivers a text hands on to the next one. No drainer runs in this app.
    const bodies = Array.from({ length: 8 }, (_, i) => `note ${i}`);
    const results = await Promise.all(
      bodies.map((Body) =>
        post({ MessageSid: newMessageSid(), From: phone, To: OUR_NUMBER, Body, NumMedia: '0' }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(bodies.map(() => 200));
    const rows = () =>
      t.database.db
        .select()
        .from(inboundMessages)
        .where(eq(inboundMessages.fromPhone, phone))
        .orderBy(inboundMessages.id);
    await waitFor(
      async () => (await rows()).every((r) => r.routeStatus === 'routed'),
      'every text of the burst routed',
      30_000,
    );
    const stored = await rows();
    expect(stored).toHaveLength(8);
    expect(stored.every((r) => r.routedTo === memberWorkflowId(m.id))).toBe(true);
    const got = await signals(m.handle, 'reply', 8);
    // Signals in id order (the per-number order), each text exactly once.
    expect(got.map((s) => s.inboundId)).toEqual(stored.map((r) => r.id));
  });
});

describe('keywords', () => {
  it('STOP reaches every workflow holding the phone, found in Postgres; one confirmation', async () => {
    const phone = newPhone();
    const m = await member(phone);
    const campaignId = `campaign-${crypto.randomUUID()}`;
    const campaign = await conversationalWorkflow(campaignId);
    await expect_(phone, campaignId, 'rsvp', 3_600_000, `campaign:${campaignId}:rsvp`);
    // A workflow whose expectation has expired no longer holds the phone.
    const oldId = `crew-${crypto.randomUUID()}`;
    const old = await conversationalWorkflow(oldId);
    await expect_(phone, oldId, 'vote', -1_000, `crew:${oldId}:vote`);

    const row = await text(phone, 'STOP');
    expect(row.kind).toBe('opt_out');
    await waitFor(async () => (await signals(m.handle, 'consent')).length === 1, 'member told');
    await waitFor(async () => (await signals(campaign, 'consent')).length === 1, 'campaign told');
    expect((await signals(campaign, 'consent'))[0]).toMatchObject({ optedOut: true, inboundId: row.id });
    expect(await signals(old, 'consent', 0)).toEqual([]);
    await waitFor(
      async () =>
        (await t.database.db.select().from(messages).where(eq(messages.toPhone, phone))).some(
          (x) => x.kind === 'opt_out_reply',
        ),
      'the confirmation',
    );
    expect((await t.database.db.select().from(messages).where(eq(messages.toPhone, phone))).length).toBe(1);
  });
});

describe('what arrives is kept as received, minus what cannot be stored', () => {
  it('an MMS with media and no text: stored with its media count, kept for operators, never answered', async () => {
    const phone = newPhone();
    const m = await member(phone);
    const row = await text(phone, '', { NumMedia: '2', MediaUrl0: 'https://api.twilio.com/m/1' });
    expect(row).toMatchObject({ body: '', numMedia: 2, routeStatus: 'unrouted' });
    expect(await signals(m.handle, 'reply', 0)).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    expect(await t.database.db.select().from(messages).where(eq(messages.toPhone, phone))).toEqual([]);
  });

  it('an MMS with text is routed with its media count', async () => {
    const phone = newPhone();
    const m = await member(phone);
    const row = await text(phone, 'Y proof attached', { NumMedia: '1' });
    expect(await signals(m.handle, 'reply')).toEqual([
      expect.objectContaining({ inboundId: row.id, numMedia: 1 }),
    ]);
  });

  it('NUL bytes are stripped (and lone surrogates); hostile fields are 400s, never 500s', async () => {
    const phone = newPhone();
    const row = await text(phone, 'Y\u0000 done\u0000!');
    expect(row.body).toBe('Y done!');
    // (A form body cannot carry a lone surrogate — it arrives as U+FFFD — but a JSON-born string can.)
    expect(sanitizeText('a\uD800b\uDC00c\uD83D\uDE00')).toBe('abc\uD83D\uDE00');
    const sidWithNul = await post({ MessageSid: 'SM\u0000x', From: phone, To: OUR_NUMBER, Body: 'hi' });
    expect(sidWithNul.status).toBe(200);
    expect((await text(phone, 'odd media', { NumMedia: 'lots' })).numMedia).toBe(0);
    for (const fields of <Record<string, string>[]>[
      { MessageSid: newMessageSid(), From: phone, To: OUR_NUMBER, Body: 'x'.repeat(20_000) },
      { MessageSid: newMessageSid(), From: 'f'.repeat(500), To: OUR_NUMBER, Body: 'hi' },
      { From: phone, To: OUR_NUMBER, Body: 'no sid' },
    ]) {
      const res = await post(fields);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const notAForm = await t.app.request('/webhooks/twilio/sms', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      body: '--x\r\nbroken',
    });
    expect(notAForm.status).toBe(400);
    const huge = await t.app.request('/webhooks/twilio/status?outboxId=99999999999999999999999', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ MessageSid: 'SM\u0000', MessageStatus: 'delivered' }).toString(),
    });
    expect(huge.status).toBe(204);
  });
});
