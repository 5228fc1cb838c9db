/**
 * A guest campaign survives worker crashes (issue 10) on real parts: the Temporal CLI dev server, the production
 * worker (`worker/main.ts`) as its own process, real PostgreSQL, and the twilio SDK against the fake Twilio on
 * loopback (its wire format, no rate limit: the sender is paced by the worker alone at SMS_MPS).
 *
 * 5,000 guests are imported through the API (CSV, the async import route) and texted by one campaign. The worker
 * is killed with SIGKILL twice in the middle of the send — each time while Twilio holds creates it has already
 * stored but not yet answered (the gap in which a crash loses the sid) — and restarted. Then every guest has
 * exactly one text at Twilio (counted per guest number at the fake), every guest's state is known (`sent`, none
 * left `pending` or `held`), each `sent` guest is linked to the message that Twilio holds, and the counts by
 * state add up to the 5,000.
 *
 * Duration: 5.5–7.7 minutes alone on a 2-core machine at load average 10–18 (three worker start-ups, each bundling
 * the workflow code, and two heartbeat timeouts of the killed send batch, 1 minute each, before Temporal retries
 * it on the new worker); the timeout is 30 minutes for a loaded CI.
 */
import { Client } from '@temporalio/client';
import { eq, inArray } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { campaignRecipients, guests, messages } from '../../db/schema.js';
import { json, testApp } from '../helpers/app.js';
import { processStack, type Proc } from '../helpers/process-stack.js';
import { waitFor } from '../helpers/temporal.js';
import { noonZone } from '../helpers/zones.js';

const GUESTS = 5_000;
const MPS = 200;
const phoneOf = (i: number) => `+1415${String(3_000_000 + i).padStart(7, '0')}`;

const s = processStack({
  twilio: { optOut: 'off' },
  env: { SMS_OPT_OUT_MANAGED_BY: 'crewline', SMS_MPS: String(MPS) },
});

/**
 * Kills the worker with SIGKILL once Twilio has at least `atLeast` texts and, with answers held back, creates that
 * Twilio has stored but not yet answered: the crash lands where a naive sender would lose the sid and text again.
 */
async function killMidSend(worker: Proc, atLeast: number): Promise<number> {
  const { fake } = s;
  await waitFor(() => fake.messages.length >= atLeast, `${atLeast} texts at Twilio`, 600_000);
  fake.slowAcceptAll(3_000);
  const pending = () => fake.requests.some((r) => r.method === 'POST' && r.status === null);
  await waitFor(pending, 'creates stored by Twilio and not yet answered', 120_000);
  worker.child.kill('SIGKILL');
  await new Promise((r) => (worker.child.exitCode === null ? worker.child.once('exit', r) : r(null)));
  fake.slowAcceptAll(0);
  return fake.messages.length;
}

it(`${GUESTS.toLocaleString('en')} guests, the worker SIGKILLed twice mid-send and restarted: every guest texted exactly once, every state known`, async () => {
  const started = Date.now();
  const { fake, env, database, startWorker } = s;
  const client = new Client({ connection: env.connection });
  const app = testApp(database.db, client, { smsPerSecond: MPS });
  const call = async <T>(method: string, url: string, body?: unknown, contentType?: string) => {
    const res = await app.request(url, {
      method,
      headers: contentType ? { ...json, 'content-type': contentType } : json,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    expect(res.status, `${method} ${url}: ${text.slice(0, 500)}`).toBeLessThan(300);
    return JSON.parse(text) as T;
  };

  let worker = await startWorker();

  // 1. The list, imported as one CSV through the API.
  const zone = noonZone();
  const lines = ['phone,name,timezone,consent_source,consent_at,consent_text'];
  for (let i = 0; i < GUESTS; i++)
    lines.push(`${phoneOf(i)},Guest ${i},${zone},rsvp form,2026-11-01T10:00:00Z,Text me about the gala`);
  const list = await call<{ id: string }>('POST', '/guest-lists', { name: 'Gala' });
  const imp = await call<{ id: string }>(
    'POST',
    `/guest-lists/${list.id}/imports`,
    lines.join('\n') + '\n',
    'text/csv',
  );
  const imported = await waitFor(
    async () => {
      const s = await call<{ status: string; imported: number; rejected: number }>(
        'GET',
        `/guest-lists/${list.id}/imports/${imp.id}?limit=1`,
      );
      return s.status !== 'running' && s.status !== 'pending' && s;
    },
    'the import finished',
    300_000,
  );
  expect(imported).toMatchObject({ status: 'completed', imported: GUESTS, rejected: 0 });

  // 2. One campaign to the list, started now.
  const campaign = await call<{ id: string }>('POST', '/campaigns', {
    listId: list.id,
    name: 'Gala doors',
    template: 'Doors open at 7pm, {{name}}.',
  });
  await call('POST', `/campaigns/${campaign.id}/start`, {});

  // 3. Two crashes in the middle of the send, each followed by a restart.
  const atFirstKill = await killMidSend(worker, 1_000);
  worker = await startWorker();
  const atSecondKill = await killMidSend(worker, Math.max(2_500, atFirstKill + 500));
  expect(atSecondKill).toBeLessThan(GUESTS); // both crashes really were mid-send
  worker = await startWorker();

  // 4. The campaign completes on the third worker.
  type Progress = { status: string; total: number; byState: Record<string, number>; remaining: number };
  const done = await waitFor(
    async () => {
      const p = await call<Progress>('GET', `/campaigns/${campaign.id}/progress`);
      return p.status === 'completed' && p;
    },
    'the campaign completed',
    1_500_000,
  );
  worker.child.kill('SIGTERM');

  // Exactly one text per guest at Twilio, and none to anyone else.
  const perNumber = new Map<string, number>();
  for (const m of fake.messages) perNumber.set(m.to, (perNumber.get(m.to) ?? 0) + 1);
  const twice = [...perNumber].filter(([, n]) => n !== 1);
  expect(twice, 'numbers texted more than once').toEqual([]);
  expect(perNumber.size).toBe(GUESTS);
  for (let i = 0; i < GUESTS; i++) expect(perNumber.has(phoneOf(i)), `guest ${i}`).toBe(true);
  expect(fake.messages.every((m) => m.body.includes('Doors open at 7pm, Guest '))).toBe(true);

  // Every guest's state is known: all sent, none pending or held; the counts add up.
  expect(done.total).toBe(GUESTS);
  expect(done.remaining).toBe(0);
  expect(done.byState).toMatchObject({ sent: GUESTS });
  expect(Object.values(done.byState).reduce((s, n) => s + n, 0)).toBe(GUESTS);
  const rows = await database.db
    .select({
      state: campaignRecipients.state,
      messageId: campaignRecipients.messageId,
      phone: guests.phone,
    })
    .from(campaignRecipients)
    .innerJoin(guests, eq(guests.id, campaignRecipients.guestId))
    .where(eq(campaignRecipients.campaignId, campaign.id));
  expect(rows).toHaveLength(GUESTS);
  expect(rows.filter((r) => r.state !== 'sent')).toEqual([]);
  // Each guest is linked to the message Twilio holds for their number (the sid recorded, also for the texts
  // Twilio had stored when the worker died and answered to nobody).
  const sids = new Map<number, { providerSid: string | null; attempts: number }>();
  const ids = rows.map((r) => r.messageId).filter((id): id is number => id !== null);
  expect(ids).toHaveLength(GUESTS);
  for (let k = 0; k < ids.length; k += 1_000)
    for (const m of await database.db
      .select({ id: messages.id, providerSid: messages.providerSid, attempts: messages.attempts })
      .from(messages)
      .where(inArray(messages.id, ids.slice(k, k + 1_000))))
      sids.set(m.id, m);
  for (const r of rows) {
    const m = sids.get(r.messageId!);
    expect(m?.providerSid, `guest ${r.phone}`).toBeTruthy();
    expect(fake.get(m!.providerSid!)?.to).toBe(r.phone);
  }
  process.stdout.write(
    `[campaign-kill] ${GUESTS} guests, kills at ${atFirstKill} and ${atSecondKill} texts, done in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
  );
}, 1_800_000);
