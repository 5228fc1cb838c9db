/**
 * Member preferences, pause/resume, erasure, check-in history and progress through the API, against real
 * Postgres and a real Temporal server (time-skipping) with the real worker.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { checkIns, inboundMessages, members, messages } from '../../db/schema.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { memberStateQuery } from '../../workflows/member/definitions.js';
import { addDays, localDate } from '../../workflows/lib/time.js';
import { auth, json } from '../helpers/app.js';
import { confirmMember, sandboxInbound } from '../helpers/members.js';
import { stackWithApp } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

/** The time-skipping server, a fresh database, the real workers and the app over them (helpers/stack.ts). */
const t = stackWithApp();
let seq = 0;

interface MemberJson {
  id: string;
  status: string;
  timezone: string;
  checkInTime: string;
  nextPromptAt: string | null;
  pausedUntil: string | null;
}

/** A member created through the API who has replied YES to the welcome text (prompts are scheduled). */
async function create(tz = 'America/New_York', checkInTime = '19:00'): Promise<MemberJson> {
  const phone = `+1646555${String(1000 + seq++)}`;
  const res = await t.app.request('/members', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ name: 'Jo', phone, timezone: tz, checkInTime }),
  });
  expect(res.status).toBe(201);
  const member = (await res.json()) as MemberJson;
  await confirmMember(t.env.client, { id: member.id, phone }, sandboxInbound(t.app));
  return member;
}
const call = async (method: string, path: string, body?: unknown) => {
  const res = await t.app.request(path, {
    method,
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return {
    status: res.status,
    body: res.status === 204 ? null : ((await res.json()) as Record<string, unknown>),
  };
};
const localHHMM = (iso: string, tz: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit' }).format(
    new Date(iso),
  );

describe('PATCH /members/:id', () => {
  it('moves the check-in time and zone, and the pending timer is re-armed at once', async () => {
    const m = await create();
    const res = await call('PATCH', `/members/${m.id}`, {
      timezone: 'Europe/Berlin',
      checkInTime: '07:15',
      tone: 'calm',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ timezone: 'Europe/Berlin', checkInTime: '07:15', tone: 'calm' });
    expect(localHHMM(res.body!.nextPromptAt as string, 'Europe/Berlin')).toBe('07:15');
    const row = await t.database.db.query.members.findFirst({ where: eq(members.id, m.id) });
    expect(row).toMatchObject({ timezone: 'Europe/Berlin', checkInTime: '07:15', tone: 'calm' });
  });

  it('400 naming the field for a bad zone or time, and nothing changes', async () => {
    const m = await create();
    const bad = await call('PATCH', `/members/${m.id}`, { timezone: 'Atlantis/Capital' });
    expect(bad.status).toBe(400);
    expect((bad.body!.errors as Array<{ field: string }>)[0]!.field).toBe('timezone');
    expect((await call('PATCH', `/members/${m.id}`, {})).status).toBe(400);
    const row = await t.database.db.query.members.findFirst({ where: eq(members.id, m.id) });
    expect(row?.timezone).toBe('America/New_York');
  });

  it('tone and the nudge delay go to the workflow; 400 naming nudgeAfterMinutes for a bad value', async () => {
    const m = await create();
    const res = await call('PATCH', `/members/${m.id}`, { tone: 'tough_love', nudgeAfterMinutes: 0 });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ tone: 'tough_love', nudgeAfterMinutes: 0 });
    const live = await t.env.client.workflow.getHandle(memberWorkflowId(m.id)).query(memberStateQuery);
    expect(live).toMatchObject({ tone: 'tough_love', nudgeAfterMinutes: 0 });
    for (const nudgeAfterMinutes of [-1, 1.5, '30']) {
      const bad = await call('PATCH', `/members/${m.id}`, { nudgeAfterMinutes });
      expect(bad.status).toBe(400);
      expect((bad.body!.errors as Array<{ field: string }>)[0]!.field).toBe('nudgeAfterMinutes');
    }
  });

  it('404 for an unknown member', async () => {
    expect(
      (await call('PATCH', '/members/3f1c2a4e-0000-4000-8000-000000000000', { tone: 'calm' })).status,
    ).toBe(404);
  });
});

describe('pause and resume', () => {
  it('pausing until a date moves the next prompt past it; resuming brings it back', async () => {
    const m = await create('Asia/Kolkata', '06:30');
    const today = localDate(await t.env.currentTimeMs(), 'Asia/Kolkata');
    const until = addDays(today, 3);
    const paused = await call('POST', `/members/${m.id}/pause`, { until });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: 'paused', pausedUntil: until });
    // The next prompt is the first one after the pause.
    expect(localDate(Date.parse(paused.body!.nextPromptAt as string), 'Asia/Kolkata')).toBe(
      addDays(until, 1),
    );
    const live = await t.env.client.workflow.getHandle(memberWorkflowId(m.id)).query(memberStateQuery);
    expect(live).toMatchObject({ status: 'paused', pausedUntil: until });

    const resumed = await call('POST', `/members/${m.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body).toMatchObject({ status: 'active', pausedUntil: null });
    expect(
      localDate(Date.parse(resumed.body!.nextPromptAt as string), 'Asia/Kolkata') <= addDays(today, 1),
    ).toBe(true);
  });

  it('422 from the workflow for a pause that ends in the past; 400 for a malformed date', async () => {
    const m = await create();
    const past = await call('POST', `/members/${m.id}/pause`, { until: '2001-01-01' });
    expect(past.status).toBe(422);
    expect(String(past.body!.detail)).toContain('pausedUntil');
    expect((past.body!.errors as Array<{ field: string }>)[0]!.field).toBe('pausedUntil');
    expect((await call('POST', `/members/${m.id}/pause`, { until: 'next week' })).status).toBe(400);
  });
});

describe('check-in history and progress', () => {
  it('lists check-ins newest first with a cursor, and computes adherence, streaks and risk', async () => {
    const m = await create('UTC', '09:00');
    const today = localDate(Date.now(), 'UTC');
    // 10 days: 7 done, then 3 missed (most recent).
    const statuses = [
      'done',
      'done',
      'done',
      'done',
      'done',
      'done',
      'done',
      'missed',
      'missed',
      'missed',
    ] as const;
    await t.database.db.insert(checkIns).values(
      statuses.map((status, i) => ({
        memberId: m.id,
        localDate: addDays(today, i - 9),
        status,
        reflection: status === 'done' ? `day ${i}` : null,
      })),
    );
    await t.database.db
      .update(members)
      .set({ currentStreak: 0, longestStreak: 7 })
      .where(eq(members.id, m.id));

    const page1 = await call('GET', `/members/${m.id}/check-ins?limit=4`);
    expect(page1.status).toBe(200);
    const items1 = page1.body!.checkIns as Array<{ localDate: string; status: string }>;
    expect(items1.map((c) => c.localDate)).toEqual([0, -1, -2, -3].map((d) => addDays(today, d)));
    const page2 = await call(
      'GET',
      `/members/${m.id}/check-ins?limit=4&before=${page1.body!.nextBefore as string}`,
    );
    expect((page2.body!.checkIns as Array<{ localDate: string }>)[0]!.localDate).toBe(addDays(today, -4));

    const progress = await call('GET', `/members/${m.id}/progress`);
    expect(progress.status).toBe(200);
    expect(progress.body).toMatchObject({
      currentStreak: 0,
      longestStreak: 7,
      consecutiveMisses: 3,
      risk: 'high',
    });
    expect((progress.body!.adherence as { d7: number }).d7).toBeCloseTo(4 / 7);
    expect((progress.body!.adherence as { d30: number }).d30).toBeCloseTo(7 / 10);
    const weeks = progress.body!.weeks as Array<{ done: number; due: number }>;
    expect(weeks.reduce((s, w) => s + w.due, 0)).toBe(10);
    expect(weeks.reduce((s, w) => s + w.done, 0)).toBe(7);
  });

  it('pages through several goals per day without skipping or repeating a check-in', async () => {
    const m = await create();
    const today = localDate(Date.now(), 'America/New_York');
    // Three days × three goals: a page of 4 ends in the middle of a day.
    await t.database.db.insert(checkIns).values(
      [0, -1, -2].flatMap((d) =>
        [1, 2, 3].map((goalId) => ({
          memberId: m.id,
          localDate: addDays(today, d),
          goalId,
          status: 'done' as const,
        })),
      ),
    );
    const seen: string[] = [];
    let before: string | null = null;
    for (let page = 0; page < 5; page++) {
      const res = await call('GET', `/members/${m.id}/check-ins?limit=4${before ? `&before=${before}` : ''}`);
      expect(res.status).toBe(200);
      for (const c of res.body!.checkIns as Array<{ localDate: string; goalId: number }>)
        seen.push(`${c.localDate}/${c.goalId}`);
      before = res.body!.nextBefore as string | null;
      if (!before) break;
    }
    expect(seen).toEqual([0, -1, -2].flatMap((d) => [3, 2, 1].map((g) => `${addDays(today, d)}/${g}`)));
    expect((await call('GET', `/members/${m.id}/check-ins?before=yesterday`)).status).toBe(400);
  });
});

describe('DELETE /members/:id (erasure)', () => {
  it('deletes the personal data, ends the workflow, and the member is gone', async () => {
    const m = await create();
    const row = await t.database.db.query.members.findFirst({ where: eq(members.id, m.id) });
    await t.database.db
      .insert(checkIns)
      .values({ memberId: m.id, localDate: '2027-01-01', status: 'done', reflection: 'felt great' });
    await t.app.request('/webhooks/twilio/sms', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        MessageSid: `SMerase${seq}`,
        From: row!.phone,
        To: '+15005550006',
        Body: 'hello?',
      }).toString(),
    });
    await waitFor(
      async () =>
        (await t.database.db.select().from(messages).where(eq(messages.memberId, m.id))).some(
          (r) => r.kind === 'clarify',
        ),
      'a clarification',
    );

    const res = await t.app.request(`/members/${m.id}`, { method: 'DELETE', headers: auth });
    expect(res.status).toBe(204);
    expect(await t.database.db.select().from(members).where(eq(members.id, m.id))).toHaveLength(0);
    expect(await t.database.db.select().from(checkIns).where(eq(checkIns.memberId, m.id))).toHaveLength(0);
    expect(await t.database.db.select().from(messages).where(eq(messages.toPhone, row!.phone))).toHaveLength(
      0,
    );
    expect(
      await t.database.db.select().from(inboundMessages).where(eq(inboundMessages.fromPhone, row!.phone)),
    ).toHaveLength(0);
    await waitFor(
      async () =>
        (await t.env.client.workflow.getHandle(memberWorkflowId(m.id)).describe()).status.name ===
        'COMPLETED',
      'workflow completed',
    );
    expect((await call('GET', `/members/${m.id}`)).status).toBe(404);
    expect((await t.app.request(`/members/${m.id}`, { method: 'DELETE', headers: auth })).status).toBe(404);
  });
});
