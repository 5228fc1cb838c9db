/**
 * Guest lists, imports, templates and the campaign lifecycle through the API, against real Postgres and the
 * time-skipping Temporal server with the real workers (sandbox SMS: the outbox rows are the sent texts).
 */
import { and, eq, isNotNull } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { guests, messages } from '../../db/schema.js';
import { guestCampaignWorkflowId } from '../../workflows/ids.js';
import { json } from '../helpers/app.js';
import { newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

const t = stackWithApp();

interface Problem {
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}
interface ImportResult {
  received: number;
  imported: number;
  withConsent: number;
  withoutConsent: number;
  rejected: Array<{ row: number; reason: string; detail: string }>;
}
interface CampaignJson {
  id: string;
  status: string;
  variables: string[];
  recipients: Array<{ state: string; reason: string | null; count: number }>;
  live: { status: string; counts: { sent: number } } | null;
}

const call = async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
  const res = await t.app.request(path, {
    method,
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, location: res.headers.get('location'), body: (await res.json()) as T };
};
const csv = async (path: string, text: string) => {
  const res = await t.app.request(path, {
    method: 'POST',
    headers: { ...json, 'content-type': 'text/csv' },
    body: text,
  });
  return { status: res.status, body: (await res.json()) as ImportResult & Problem };
};
const consent = { source: 'web form', at: '2026-11-01T10:00:00Z', text: 'Text me about the event' };
let seq = 0;
const phone = (area = '212') => `+1${area}555${String(1000 + seq++)}`;

async function newList(name = 'Gala guests') {
  const res = await call<{ id: string; guests: number }>('POST', '/guest-lists', { name });
  expect(res.status).toBe(201);
  expect(res.location).toBe(`/guest-lists/${res.body.id}`);
  return res.body.id;
}
const importJson = (listId: string, rows: unknown[], defaultCountry?: string) =>
  call<ImportResult>('POST', `/guest-lists/${listId}/guests`, { guests: rows, defaultCountry });
const campaignTexts = (campaignId: string) =>
  t.database.db
    .select({ to: messages.toPhone, body: messages.body, key: messages.idempotencyKey })
    .from(messages)
    .where(and(eq(messages.campaignId, campaignId), isNotNull(messages.providerSid)));
async function waitForStatus(campaignId: string, status: string) {
  return waitFor(async () => {
    const c = await call<CampaignJson>('GET', `/campaigns/${campaignId}`);
    return c.body.live?.status === status && c.body.status === status && c.body;
  }, `campaign ${status}`);
}

beforeAll(async () => {
  // Marketing texts go out 08:00–21:00 in the guest's zone: 15:00 UTC is 10:00 in New York.
  await skipTo(t.env, '2027-03-02T15:00:00Z');
});

describe('guest import', () => {
  it('JSON: normalises numbers, derives zones, keeps consent evidence, and names every rejected row', async () => {
    const listId = await newList();
    const a = phone();
    const res = await importJson(
      listId,
      [
        { phone: a, name: 'Ana', variables: { table: '4' }, consent },
        { phone: '(415) 555-2000', name: 'Bo', consent }, // national format, US default country: LA by area code
        { phone: '+819012345678', timezone: 'Asia/Tokyo', name: 'Kei' }, // no consent evidence
        { phone: '12345', name: 'Bad' },
        { phone: a, name: 'Ana again', consent },
        { phone: '+16845551000', name: 'Where' }, // American Samoa: not in the area-code table, no zone given
        { phone: phone(), timezone: 'Mars/Base', consent },
        { phone: phone(), consent: { source: 'form', at: 'yesterday', text: 'ok' } },
        { phone: phone(), variables: { 'bad name': 'x' }, consent },
      ],
      'US',
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      received: 9,
      imported: 3,
      withConsent: 2,
      withoutConsent: 1,
      rejected: [
        { row: 4, reason: 'invalid_number', detail: expect.any(String) },
        { row: 5, reason: 'duplicate', detail: expect.any(String) },
        { row: 6, reason: 'unknown_timezone', detail: expect.any(String) },
        { row: 7, reason: 'invalid_timezone', detail: expect.any(String) },
        { row: 8, reason: 'invalid_consent', detail: expect.any(String) },
        { row: 9, reason: 'invalid_variable', detail: expect.any(String) },
      ],
    });
    const rows = await t.database.db.select().from(guests).where(eq(guests.listId, listId));
    const byName = Object.fromEntries(rows.map((g) => [g.name, g]));
    expect(byName.Bo).toMatchObject({
      phone: '+14155552000',
      timezone: 'America/Los_Angeles',
      consent: true,
    });
    expect(byName.Ana).toMatchObject({ timezone: 'America/New_York', variables: { table: '4' } });
    expect(byName.Kei).toMatchObject({ timezone: 'Asia/Tokyo', consent: false, consentSource: null });
    // Consent evidence entered the ledger (marketing opt-in from the import); the guest without it did not.
    const ledger = await call<{ state: { marketing: boolean }; events: Array<{ source: string }> }>(
      'GET',
      `/consent/${encodeURIComponent(a)}`,
    );
    expect(ledger.body.state.marketing).toBe(true);
    expect(ledger.body.events.map((e) => e.source)).toEqual(['import']);
    const kei = await call<{ state: { marketing: boolean } }>(
      'GET',
      `/consent/${encodeURIComponent('+819012345678')}`,
    );
    expect(kei.body.state.marketing).toBe(false);
  });

  it('CSV: header columns, extra columns become variables, bad rows reported, numbers already on the list are duplicates', async () => {
    const listId = await newList();
    const first = await importJson(listId, [{ phone: '+13055559000', consent }]);
    expect(first.body.imported).toBe(1);
    const res = await csv(
      `/guest-lists/${listId}/guests/csv?defaultCountry=US`,
      [
        'phone,name,table,consent_source,consent_at,consent_text',
        '(305) 555-9001,Flo,7,kiosk,2026-11-02T09:00:00Z,Yes text me',
        '305-555-9000,Dup,8,kiosk,2026-11-02T09:00:00Z,Yes text me',
        'not a number,Nope,1,,,',
        '"(212) 555-9002","Rey, Jr.",,,,',
      ].join('\n'),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 4, imported: 2, withConsent: 1, withoutConsent: 1 });
    expect(res.body.rejected.map((r) => [r.row, r.reason])).toEqual([
      [2, 'duplicate'],
      [3, 'invalid_number'],
    ]);
    const rows = await t.database.db.select().from(guests).where(eq(guests.listId, listId));
    expect(rows.find((g) => g.name === 'Flo')).toMatchObject({
      phone: '+13055559001',
      timezone: 'America/New_York',
      variables: { table: '7' },
      consentSource: 'kiosk',
      consentText: 'Yes text me',
    });
    expect(rows.find((g) => g.name === 'Rey, Jr.')).toMatchObject({ phone: '+12125559002', consent: false });
  });

  it('a CSV without a phone column, or that is not CSV, is a 400 naming the body', async () => {
    const listId = await newList();
    const noPhone = await csv(`/guest-lists/${listId}/guests/csv`, 'name,table\nAna,4\n');
    expect(noPhone.status).toBe(400);
    expect(noPhone.body.errors).toEqual([{ field: 'body', message: 'the header has no "phone" column' }]);
    const ragged = await csv(`/guest-lists/${listId}/guests/csv`, 'phone,name\n+12125551111,a,b,c\n');
    expect(ragged.status).toBe(400);
    expect(ragged.body.errors?.[0]?.field).toBe('body');
    const empty = await csv(`/guest-lists/${listId}/guests/csv`, '');
    expect(empty.status).toBe(400);
    const headerOnly = await csv(`/guest-lists/${listId}/guests/csv`, '{}');
    expect(headerOnly.body.errors).toEqual([{ field: 'body', message: 'the header has no "phone" column' }]);
    const notCsv = await t.app.request(`/guest-lists/${listId}/guests/csv`, {
      method: 'POST',
      headers: json,
      body: '{"phone":"+12125551111"}',
    });
    expect(notCsv.status).toBe(415);
  });

  it('edits and removes guests', async () => {
    const listId = await newList();
    await importJson(listId, [{ phone: phone(), name: 'Old', consent }]);
    const listed = await call<{ guests: Array<{ id: string }> }>('GET', `/guest-lists/${listId}/guests`);
    const id = listed.body.guests[0]!.id;
    const patched = await call<{ name: string; variables: Record<string, string> }>(
      'PATCH',
      `/guest-lists/${listId}/guests/${id}`,
      { name: 'New', variables: { table: '9' } },
    );
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'New', variables: { table: '9' } });
    const res = await t.app.request(`/guest-lists/${listId}/guests/${id}`, {
      method: 'DELETE',
      headers: json,
    });
    expect(res.status).toBe(204);
    expect((await call('GET', `/guest-lists/${listId}`)).body).toMatchObject({ guests: 0 });
  });
});

describe('templates', () => {
  let listId: string;
  beforeAll(async () => {
    listId = await newList();
    await importJson(listId, [
      { phone: phone(), name: 'Ana', variables: { table: '4' }, consent },
      { phone: phone(), name: 'Bo', consent }, // no table
      { phone: phone(), name: 'Cy' }, // no consent: never texted, so not checked
    ]);
  });

  it('a variable a consented guest lacks is refused, naming it', async () => {
    const res = await call<Problem>('POST', '/campaigns', {
      listId,
      name: 'Seats',
      template: 'Hi {{name}}, you are at table {{table}}.',
    });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([
      { field: 'template', message: expect.stringMatching(/missing variable "table"/) },
    ]);
  });

  it('sections and partials are refused (logic-less: plain variables only)', async () => {
    for (const template of ['{{#name}}hi{{/name}}', 'Hi {{> partial}}', 'Hi {{name']) {
      const res = await call<Problem>('POST', '/campaigns', { listId, name: 'x', template });
      expect(res.status, template).toBe(422);
      expect(res.body.errors?.[0]?.field).toBe('template');
    }
  });

  it('a text over the segment budget is refused; previews show the body, encoding and segments', async () => {
    const long = `Hi {{name}}! ${'The party starts at eight and runs late. '.repeat(4)}`;
    const over = await call<Problem>('POST', '/campaigns', {
      listId,
      name: 'x',
      template: long,
      segmentBudget: 1,
    });
    expect(over.status).toBe(422);
    expect(over.body.errors?.[0]?.field).toBe('segmentBudget');

    const ok = await call<CampaignJson>('POST', '/campaigns', { listId, name: 'x', template: long });
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({ status: 'draft', variables: ['name'] });
    const guestList = await call<{ guests: Array<{ id: string; name: string }> }>(
      'GET',
      `/guest-lists/${listId}/guests`,
    );
    const ana = guestList.body.guests.find((g) => g.name === 'Ana')!;
    const preview = await call('GET', `/campaigns/${ok.body.id}/preview?guestId=${ana.id}`);
    expect(preview.body).toMatchObject({
      body: `Crewline: Hi Ana! ${'The party starts at eight and runs late. '.repeat(4)}Reply STOP to opt out.`,
      encoding: 'GSM-7',
      segments: 2,
      segmentBudget: 2,
      withinBudget: true,
    });
    const emoji = await call<CampaignJson>('POST', '/campaigns', {
      listId,
      name: 'x',
      template: 'Hi {{name}} 🎉',
    });
    const p2 = await call('GET', `/campaigns/${emoji.body.id}/preview?guestId=${ana.id}`);
    expect(p2.body).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    // A guest without the variable: the preview names it.
    const bo = guestList.body.guests.find((g) => g.name === 'Bo')!;
    const seats = await call<CampaignJson>('POST', '/campaigns', {
      listId,
      name: 'x',
      template: 'Hi {{name}}',
    });
    await t.database.db.update(guests).set({ name: null }).where(eq(guests.id, bo.id));
    const missing = await call<Problem>('GET', `/campaigns/${seats.body.id}/preview?guestId=${bo.id}`);
    expect(missing.status).toBe(422);
    expect(missing.body.errors).toEqual([{ field: 'variables.name', message: 'missing variable "name"' }]);
  });
});

describe('campaign lifecycle', () => {
  it('texts every consented guest exactly once, skips the rest with a reason, and says who got it', async () => {
    const listId = await newList();
    const stopped = phone();
    const imported = await importJson(listId, [
      { phone: phone(), name: 'Ana', consent },
      { phone: phone(), name: 'Bo', consent },
      { phone: stopped, name: 'Stopper', consent },
      { phone: phone(), name: 'Cy' },
    ]);
    expect(imported.body.imported).toBe(4);
    // The guest texts STOP before the campaign: suppressed by phone, for every list and campaign.
    const stop = await sandboxInbound(t.app)({
      MessageSid: newMessageSid(),
      From: stopped,
      To: OUR_NUMBER,
      Body: 'STOP',
    });
    expect(stop.status).toBe(200);
    const created = await call<CampaignJson>('POST', '/campaigns', {
      listId,
      name: 'Tonight',
      template: 'Hi {{name}}, doors open at 7.',
    });
    const id = created.body.id;
    const started = await call<CampaignJson>('POST', `/campaigns/${id}/start`, {});
    expect(started.status).toBe(202);
    // The answer says the campaign started, not the draft it was (its row is written by the workflow).
    expect(['running', 'completed']).toContain(started.body.status);
    const done = await waitForStatus(id, 'completed');
    const texts = await campaignTexts(id);
    expect(texts.map((m) => m.body).sort()).toEqual([
      'Crewline: Hi Ana, doors open at 7. Reply STOP to opt out.',
      'Crewline: Hi Bo, doors open at 7. Reply STOP to opt out.',
    ]);
    expect(texts.every((m) => m.key.startsWith(`campaign:${id}:guest:`))).toBe(true);
    expect(done.recipients.map((r) => [r.state, r.reason, r.count]).sort()).toEqual([
      ['sent', null, 2],
      ['skipped', 'no_consent', 1],
      ['skipped', 'suppressed:opt_out', 1],
    ]);
    const notSent = await call<{ recipients: Array<{ state: string }> }>(
      'GET',
      `/campaigns/${id}/recipients?state=skipped`,
    );
    expect(notSent.body.recipients).toHaveLength(2);
    // Who got it: the sandbox reports each text delivered.
    const got = await call<{ recipients: Array<{ state: string; messageStatus: string | null }> }>(
      'GET',
      `/campaigns/${id}/recipients?state=sent`,
    );
    expect(got.body.recipients.map((r) => r.messageStatus)).toEqual(['delivered', 'delivered']);
    // Starting again is a conflict; a finished campaign cannot be paused.
    expect((await call('POST', `/campaigns/${id}/start`, {})).status).toBe(409);
    const pause = await call<Problem>('POST', `/campaigns/${id}/pause`);
    expect(pause.status).toBe(422);
    expect(pause.body.errors?.[0]?.field).toBe('status');

    // Send again to those not delivered: everyone here got it (or was skipped), so nobody is re-texted.
    const resend = await call<{ round: number }>('POST', `/campaigns/${id}/resend`);
    expect(resend.status).toBe(202);
    expect(resend.body.round).toBe(1);
    await waitFor(
      async () =>
        (await t.env.client.workflow.getHandle(guestCampaignWorkflowId(id)).describe()).status.name ===
        'COMPLETED',
      'the resend run',
    );
    expect(await campaignTexts(id)).toHaveLength(2);

    // The same STOPped number on another list: still never texted.
    const other = await newList('Other');
    await importJson(other, [{ phone: stopped, name: 'Stopper', consent }]);
    const c2 = await call<CampaignJson>('POST', '/campaigns', {
      listId: other,
      name: 'x',
      template: 'Hi {{name}}',
    });
    await call('POST', `/campaigns/${c2.body.id}/start`, {});
    const done2 = await waitForStatus(c2.body.id, 'completed');
    expect(done2.recipients).toEqual([{ state: 'skipped', reason: 'suppressed:opt_out', count: 1 }]);
    expect(await campaignTexts(c2.body.id)).toEqual([]);
  });

  it('scheduled → paused (nothing sent at the start time) → resumed → completed; cancel stops a scheduled one for good', async () => {
    const listId = await newList();
    await importJson(listId, [
      { phone: phone(), name: 'Ana', consent },
      { phone: phone(), name: 'Bo', consent },
    ]);
    const now = await t.env.currentTimeMs();
    const mk = async () =>
      (await call<CampaignJson>('POST', '/campaigns', { listId, name: 'Later', template: 'Hi {{name}}' }))
        .body.id;
    const id = await mk();
    const start = await call<CampaignJson>('POST', `/campaigns/${id}/start`, {
      at: new Date(now + 3_600_000).toISOString(),
    });
    expect(start.status).toBe(202);
    expect(start.body.status).toBe('scheduled');
    await waitForStatus(id, 'scheduled');
    const paused = await call('POST', `/campaigns/${id}/pause`);
    expect(paused.body).toEqual({ status: 'paused', inFlightBatches: 0 });
    await skipTo(t.env, new Date(now + 2 * 3_600_000));
    await new Promise((r) => setTimeout(r, 500));
    expect(await campaignTexts(id)).toEqual([]);
    expect((await call<CampaignJson>('GET', `/campaigns/${id}`)).body.live?.status).toBe('paused');
    const resumed = await call('POST', `/campaigns/${id}/resume`);
    expect(resumed.status).toBe(200);
    await waitForStatus(id, 'completed');
    expect(await campaignTexts(id)).toHaveLength(2);

    const id2 = await mk();
    await call('POST', `/campaigns/${id2}/start`, { at: new Date(now + 5 * 3_600_000).toISOString() });
    await waitForStatus(id2, 'scheduled');
    const cancelled = await call('POST', `/campaigns/${id2}/cancel`);
    expect(cancelled.body).toMatchObject({ status: 'cancelled' });
    await t.env.client.workflow.getHandle(guestCampaignWorkflowId(id2)).result();
    await skipTo(t.env, new Date(now + 6 * 3_600_000));
    expect(await campaignTexts(id2)).toEqual([]);
    expect((await call('POST', `/campaigns/${id2}/resume`)).status).toBe(422);
  });

  it('bad input: unknown list 404, bad ids 400, a draft cannot be paused', async () => {
    const res = await call<Problem>('POST', '/campaigns', {
      listId: '3f1c2a4e-0000-4000-8000-000000000000',
      name: 'x',
      template: 'hi',
    });
    expect(res.status).toBe(404);
    expect((await call<Problem>('GET', '/campaigns/nope')).status).toBe(400);
    const listId = await newList();
    const draft = await call<CampaignJson>('POST', '/campaigns', { listId, name: 'x', template: 'hi' });
    expect((await call<Problem>('POST', `/campaigns/${draft.body.id}/pause`)).status).toBe(422);
    expect((await call<Problem>('POST', `/campaigns/${draft.body.id}/resend`)).status).toBe(422);
  });
});
