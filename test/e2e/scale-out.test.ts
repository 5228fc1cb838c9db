/**
 * Scale-out on real parts: one Temporal CLI dev server and one PostgreSQL, TWO worker processes and TWO API
 * processes (the production entry points, `worker/main.ts` and `scripts/api.ts`, as child processes), sending
 * through the twilio SDK to the fake Twilio on loopback.
 *
 * Members are created through both APIs, confirm by SMS through both, get their prompt at the check-in minute,
 * and answer it in a burst of signed webhooks spread over both APIs — every reply posted twice, once to each API,
 * as a Twilio retry landing on the other process would be. One worker is killed with SIGKILL in the middle of the
 * burst; the other carries on. Every text reaches Twilio exactly once (one create per outbox row, four per
 * member), and every reply is handled once (one inbound row per MessageSid, one check-in, one acknowledgement).
 */
import { asc, eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { checkIns, inboundMessages, members, messages } from '../../db/schema.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { memberStateQuery } from '../../workflows/member/definitions.js';
import { confirmedText, PROMPT_TEXT } from '../../workflows/member/texts.js';
import { newMessageSid } from '../helpers/members.js';
import { FROM_NUMBER as FROM, processStack, PUBLIC_BASE_URL } from '../helpers/process-stack.js';
import { waitFor } from '../helpers/temporal.js';

const KEY = 'scale-out-test-key-0123';
const MEMBERS = 16;
const phoneOf = (i: number) => `+1415557${String(i).padStart(4, '0')}`;

const s = processStack({
  env: {
    API_KEYS: KEY,
    SMS_MPS: '100',
    RATE_LIMIT_PER_KEY_PER_MINUTE: '0',
    RATE_LIMIT_PER_IP_PER_MINUTE: '0',
  },
});

/** Twilio's POST of an inbound text to one API process, signed over the public URL as Twilio signs it. */
async function postInbound(apiUrl: string, params: Record<string, string>): Promise<number> {
  const signature = s.fake.signInbound(`${PUBLIC_BASE_URL}/webhooks/twilio/sms`, params);
  const res = await fetch(`${apiUrl}/webhooks/twilio/sms`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(params).toString(),
  });
  await res.text();
  return res.status;
}

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

it('two workers and two APIs; SIGKILL of one worker mid-burst: every text sent once, every reply handled once', async () => {
  const { fake, env, database, startWorker, startApi } = s;
  const [workerA, workerB, apiA, apiB] = await Promise.all([
    startWorker(),
    startWorker(),
    startApi(),
    startApi(),
  ]);
  const apis = [apiA.url, apiB.url];

  // A check-in minute far enough ahead for every member to be created and confirmed first.
  const checkInTime = hhmm(Math.ceil((Date.now() + 80_000) / 60_000) * 60_000);
  const ids: string[] = [];
  for (let i = 0; i < MEMBERS; i++) {
    const res = await fetch(`${apis[i % 2]}/members`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `M${i}`, phone: phoneOf(i), timezone: 'UTC', checkInTime }),
    });
    expect(res.status).toBe(201);
    ids.push(((await res.json()) as { id: string }).id);
  }
  await waitFor(
    () => ids.every((_, i) => fake.byTo(phoneOf(i)).length >= 1),
    'every welcome at Twilio',
    60_000,
  );

  // Confirmations through both APIs (each YES to one of them).
  const yes = await Promise.all(
    ids.map((_, i) =>
      postInbound(apis[(i + 1) % 2]!, {
        MessageSid: newMessageSid(),
        From: phoneOf(i),
        To: FROM,
        Body: 'YES',
      }),
    ),
  );
  expect(yes.every((s) => s === 200)).toBe(true);
  await waitFor(
    async () => {
      const states = await Promise.all(
        ids.map((id) => env.client.workflow.getHandle(memberWorkflowId(id)).query(memberStateQuery)),
      );
      return states.every((s) => s.status === 'active');
    },
    'every member active',
    60_000,
  );
  expect(Date.now(), 'confirmed before the check-in minute').toBeLessThan(
    Date.parse(`${new Date().toISOString().slice(0, 10)}T${checkInTime}:00Z`),
  );

  // The prompts, at the check-in minute, from whichever worker holds each member.
  await waitFor(
    () => ids.every((_, i) => fake.byTo(phoneOf(i)).some((m) => m.body === PROMPT_TEXT)),
    'every prompt at Twilio',
    150_000,
  );

  // The reply burst: each reply to one API and, as a Twilio retry would, the same MessageSid to the other.
  const replySids = ids.map(() => newMessageSid());
  const reply = (i: number) => {
    const params = { MessageSid: replySids[i]!, From: phoneOf(i), To: FROM, Body: `Y day ${i}` };
    return Promise.all([postInbound(apis[i % 2]!, params), postInbound(apis[(i + 1) % 2]!, params)]);
  };
  const half = MEMBERS / 2;
  const statuses = (await Promise.all(ids.slice(0, half).map((_, i) => reply(i)))).flat();
  // Work is flowing (an acknowledgement is out) when worker A dies, without a chance to finish anything.
  await waitFor(
    async () =>
      (await database.db.select().from(messages).where(eq(messages.kind, 'checkin_ack'))).length > 0,
    'the first acknowledgement',
    60_000,
  );
  workerA.child.kill('SIGKILL');
  await new Promise((r) => workerA.child.once('exit', r));
  statuses.push(...(await Promise.all(ids.slice(half).map((_, j) => reply(half + j)))).flat());
  expect(statuses.every((s) => s === 200)).toBe(true);

  // Every member hears back once, from the surviving worker where needed.
  await waitFor(
    async () =>
      (await database.db.select().from(messages).where(eq(messages.kind, 'checkin_ack'))).filter(
        (m) => m.providerSid !== null,
      ).length === MEMBERS,
    'every acknowledgement sent',
    150_000,
  );
  expect(workerB.child.exitCode).toBeNull();

  const today = new Date().toISOString().slice(0, 10);
  for (const [i, id] of ids.entries()) {
    const rows = await database.db
      .select()
      .from(messages)
      .where(eq(messages.memberId, id))
      .orderBy(asc(messages.id));
    // Four texts per member, each reaching Twilio exactly once: one create per outbox row, same body.
    expect(
      rows.map((r) => r.kind),
      `member ${i}`,
    ).toEqual(['welcome', 'confirmed', 'checkin_prompt', 'checkin_ack']);
    const atTwilio = fake.byTo(phoneOf(i));
    expect(atTwilio.map((m) => m.body).sort(), `member ${i} at Twilio`).toEqual(
      rows.map((r) => r.body).sort(),
    );
    expect(new Set(atTwilio.map((m) => m.sid)).size).toBe(4);
    expect(rows.map((r) => r.providerSid).sort()).toEqual(atTwilio.map((m) => m.sid).sort());
    expect(rows[1]!.body).toBe(confirmedText(checkInTime));

    // The reply, posted twice to two processes, is one inbound row and one check-in.
    const inbound = await database.db
      .select()
      .from(inboundMessages)
      .where(eq(inboundMessages.providerSid, replySids[i]!));
    expect(inbound).toHaveLength(1);
    expect(inbound[0]!.routeStatus).toBe('routed');
    const recorded = await database.db.select().from(checkIns).where(eq(checkIns.memberId, id));
    expect(
      recorded.map((c) => [c.localDate, c.status]),
      `member ${i} check-ins`,
    ).toEqual([[today, 'done']]);
  }
  // Nothing else reached Twilio, and every member is still one running workflow.
  expect(fake.messages).toHaveLength(MEMBERS * 4);
  expect(await database.db.select().from(members)).toHaveLength(MEMBERS);
  const states = await Promise.all(
    ids.map((id) => env.client.workflow.getHandle(memberWorkflowId(id)).query(memberStateQuery)),
  );
  expect(states.every((s) => s.status === 'active' && s.currentStreak === 1)).toBe(true);

  for (const p of [workerB, apiA.proc, apiB.proc]) p.child.kill('SIGTERM');
}, 480_000);
