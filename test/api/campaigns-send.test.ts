/**
 * Campaign sending through the API (real Postgres, the time-skipping server, the real workers, sandbox SMS):
 * "each guest at HH:MM in their own zone" with a send window, the rate changed while live, live progress.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { testApp, json } from '../helpers/app.js';
import { stackWithApp } from '../helpers/stack.js';
import { skipTo, waitFor } from '../helpers/temporal.js';

const t = stackWithApp();

interface Problem {
  status: number;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}
interface Progress {
  status: string;
  total: number;
  byState: Record<string, number>;
  byReason: Array<{ state: string; reason: string | null; count: number }>;
  rateMps: number | null;
  effectiveRateMps: number | null;
  runningCampaigns: number;
  remaining: number;
  estimatedFinishAt: string | null;
  live: { inFlightBatches: number; nextWakeAtMs: number | null } | null;
}

const call = async <T = Record<string, unknown>>(
  method: string,
  path: string,
  body?: unknown,
  app: { request: (typeof t)['app']['request'] } = t.app,
) => {
  const res = await app.request(path, {
    method,
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T & Problem };
};
const consent = { source: 'web form', at: '2026-11-01T10:00:00Z', text: 'Text me about the event' };
let seq = 0;
const phone = (area: string) => `+1${area}555${String(3000 + seq++)}`;

async function draft(rows: Array<{ phone: string; timezone?: string }>) {
  const list = await call<{ id: string }>('POST', '/guest-lists', { name: 'Gala' });
  const imported = await call<{ imported: number }>('POST', `/guest-lists/${list.body.id}/guests`, {
    guests: rows.map((r) => ({ ...r, name: 'Guest', consent })),
  });
  expect(imported.body.imported).toBe(rows.length);
  const c = await call<{ id: string }>('POST', '/campaigns', {
    listId: list.body.id,
    name: 'Doors',
    template: 'Doors open at 7, {{name}}',
  });
  expect(c.status).toBe(201);
  return c.body.id;
}

beforeAll(async () => {
  await skipTo(t.env, '2027-03-02T15:00:00Z'); // 10:00 in New York
});

describe('campaign sending API', () => {
  it('start with each guest at HH:MM local within a window: bad schedules are 400 naming the field', async () => {
    const id = await draft([{ phone: phone('212') }]);
    const bad = async (body: unknown, field: string) => {
      const res = await call('POST', `/campaigns/${id}/start`, body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.errors?.map((e) => e.field)).toContain(field);
    };
    await bad({ sendAtLocal: { date: '2027-02-30', time: '10:00' } }, 'sendAtLocal.date');
    await bad({ sendAtLocal: { date: '2027-03-03', time: '25:00' } }, 'sendAtLocal.time');
    await bad(
      { sendAtLocal: { date: '2027-03-03', time: '10:00', window: { start: '18:00', end: '09:00' } } },
      'sendAtLocal.window.end',
    );
    // 21:00–23:00 is never allowed for marketing texts (Florida: until 20:00).
    await bad(
      { sendAtLocal: { date: '2027-03-03', time: '10:00', window: { start: '20:30', end: '23:00' } } },
      'sendAtLocal.window',
    );
    await bad(
      { at: '2027-03-03T15:00:00Z', sendAtLocal: { date: '2027-03-03', time: '10:00' } },
      'sendAtLocal',
    );
    await bad({ rateMps: 0.01 }, 'rateMps');
    const row = await call<{ status: string }>('GET', `/campaigns/${id}`);
    expect(row.body.status).toBe('draft'); // nothing half-started
  });

  it('scheduled per zone, progress with the rate and an estimated finish; the rate changes live; a finished campaign takes no rate', async () => {
    const ny = phone('212');
    const la = phone('213');
    const fl = phone('305');
    const id = await draft([{ phone: ny }, { phone: la }, { phone: fl }]);
    const started = await call<{ status: string; sendAtLocal: unknown }>('POST', `/campaigns/${id}/start`, {
      sendAtLocal: { date: '2027-03-03', time: '09:30', window: { start: '09:00', end: '18:00' } },
      rateMps: 50,
    });
    expect(started.status).toBe(202);
    const scheduled = await waitFor(async () => {
      const p = await call<Progress>('GET', `/campaigns/${id}/progress`);
      // The guests' rows are written before the workflow arms its wake-up: wait for both.
      return (
        p.body.byState.held === 3 &&
        p.body.status === 'scheduled' &&
        p.body.live?.nextWakeAtMs != null &&
        p.body
      );
    }, 'three guests held for their local time, and the wake-up armed');
    expect(scheduled.byReason).toEqual([{ state: 'held', reason: 'local_time', count: 3 }]);
    expect(scheduled.remaining).toBe(3);
    expect(scheduled.rateMps).toBe(50);
    expect(scheduled.effectiveRateMps).toBe(50);
    expect(scheduled.live?.nextWakeAtMs).toBe(Date.parse('2027-03-03T14:30:00Z')); // 09:30 EST
    expect(scheduled.estimatedFinishAt).toBe('2027-03-03T17:30:00.000Z'); // 09:30 PST, the last one
    const campaign = await call<{ sendAtLocal: unknown; rateMps: number }>('GET', `/campaigns/${id}`);
    expect(campaign.body.sendAtLocal).toEqual({
      date: '2027-03-03',
      time: '09:30',
      window: { start: '09:00', end: '18:00' },
    });

    const tooSlow = await call('POST', `/campaigns/${id}/rate`, { mps: 0.05 });
    expect(tooSlow.status).toBe(400);
    expect(tooSlow.body.errors?.[0]?.field).toBe('mps');
    const changed = await call<{ rateMps: number; status: string }>('POST', `/campaigns/${id}/rate`, {
      mps: 2.5,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ status: 'scheduled', rateMps: 2.5 });
    const after = await call<Progress>('GET', `/campaigns/${id}/progress`);
    expect(after.body.rateMps).toBe(2.5);
    expect(after.body.effectiveRateMps).toBe(2.5);

    await skipTo(t.env, '2027-03-03T17:31:00Z');
    const done = await waitFor(async () => {
      const p = await call<Progress>('GET', `/campaigns/${id}/progress`);
      return p.body.status === 'completed' && p.body;
    }, 'completed');
    expect(done.byState).toEqual({ sent: 3 });
    expect(done.remaining).toBe(0);
    expect(done.estimatedFinishAt).toBeNull();
    const late = await call('POST', `/campaigns/${id}/rate`, { mps: 3 });
    expect(late.status).toBe(422);
    expect(late.body.errors?.[0]?.field).toBe('status');
  });

  it("the rate's ceiling is the sender's MPS where it is configured", async () => {
    const app = testApp(t.database.db, t.env.client, { smsPerSecond: 10 });
    const id = await draft([{ phone: phone('212') }]);
    const res = await call('POST', `/campaigns/${id}/start`, { rateMps: 20 }, app);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.field).toBe('rateMps');
    const rate = await call('POST', `/campaigns/${id}/rate`, { mps: 11 }, app);
    expect(rate.status).toBe(400);
    expect(rate.body.errors?.[0]?.field).toBe('mps');
  });
});
