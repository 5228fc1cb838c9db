/**
 * A 30-day member journey on the time-skipping server, with everything real but the providers: Postgres, the
 * worker with the real activities, the API (member creation, pause, time-zone change, webhooks), the official
 * twilio SDK against a fake Twilio and the official openai SDK against a fake OpenAI.
 *
 * The scripted member confirms, adds a goal by SMS and one through the workflow update, replies on some days
 * ("Y", "1 Y 2 N tired", "1 Y" then "2 Y mood 4", "REST"), stays silent on others (nudge, then a miss), answers
 * late ("yesterday Y"), pauses for 3 days, moves from America/New_York to Europe/Berlin, crosses both DST
 * changes (New York on 14 March, Berlin on 28 March 2027), opts out with STOP and back in with START. The exact
 * list of texts the fake Twilio received (kind and local send time), the streaks, adherence and risk at the end,
 * and every risk change are asserted.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { asc, eq, inArray } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTwilioProvider } from '../../activities/sms/twilio.js';
import { memberProgress } from '../../db/analytics.js';
import { checkIns, messages, riskEvents } from '../../db/schema.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { zonedTimeToUtc } from '../../workflows/lib/time.js';
import { addGoalUpdate, memberStateQuery } from '../../workflows/member/definitions.js';
import { MEMBER_STATUS_SA, RISK_LEVEL_SA } from '../../workflows/member/search-attributes.js';
import { defaultResponder, startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { json, testApp } from '../helpers/app.js';
import { newMessageSid, OUR_NUMBER } from '../helpers/members.js';
import { captureHistory } from '../helpers/histories.js';
import { timeSkippingStack, type TimeSkippingStack } from '../helpers/stack.js';
import { finishMember, skipTo, waitFor } from '../helpers/temporal.js';

const PUBLIC = 'https://crewline.example.com';
const PHONE = '+14155550199';
const NAME = 'Dana Whitfield';

let stack: TimeSkippingStack;
let env: TestWorkflowEnvironment;
let database: TimeSkippingStack['database'];
let twilio: FakeTwilio;
let openai: FakeOpenAI;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  [twilio, openai] = await Promise.all([startFakeTwilio(), startFakeOpenAI()]);
  const creds = {
    accountSid: twilio.accountSid,
    authToken: twilio.authToken,
    from: OUR_NUMBER,
    apiBaseUrl: twilio.baseUrl,
  };
  stack = await timeSkippingStack({
    sms: createTwilioProvider({ ...creds, publicBaseUrl: PUBLIC }),
    ai: {
      openai: new OpenAI({ apiKey: 'sk-test', baseURL: openai.baseUrl, maxRetries: 0, timeout: 5_000 }),
      model: 'gpt-4o-mini',
    },
  });
  ({ env, database } = stack);
  // Plans as the model would write them; every other text is the fake's default sentence.
  openai.respondWith((body, ...rest) =>
    body.response_format?.type === 'json_schema'
      ? JSON.stringify({
          milestones: ['Week 1: three short sessions', 'Week 4: a daily routine'],
          dailyHabits: ['Put your shoes by the door'],
          weeklyTarget: 'Every day, even if only for ten minutes.',
        })
      : defaultResponder(body, ...rest),
  );
  app = testApp(database.db, env.client, { twilio: creds, publicBaseUrl: PUBLIC });
});
afterAll(async () => {
  await stack?.close();
  await twilio?.close();
  await openai?.close();
});

let tz = 'America/New_York';
const instant = (date: string, hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return zonedTimeToUtc(date, h, m, tz);
};
/** The texts we expect, in order: kind and UTC minute (from the local time in the zone of the moment). */
const expected: Array<[string, string]> = [];
const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16);
const expectText = (kind: string, date: string, hhmm: string) =>
  expected.push([kind, minute(instant(date, hhmm))]);

/** What the fake Twilio received for the member, with the kind and send time our outbox recorded. */
async function received(): Promise<Array<[string, string]>> {
  const got = twilio.byTo(PHONE);
  const rows = got.length
    ? await database.db
        .select({ sid: messages.providerSid, kind: messages.kind, sentAt: messages.sentAt })
        .from(messages)
        .where(
          inArray(
            messages.providerSid,
            got.map((m) => m.sid),
          ),
        )
    : [];
  const bySid = new Map(rows.map((r) => [r.sid, r]));
  return got.map((m) => {
    const row = bySid.get(m.sid);
    return [row?.kind ?? '?', row?.sentAt ? minute(row.sentAt.getTime()) : '?'];
  });
}
/** Waits until the fake has every expected text, then makes sure nothing else arrives. */
async function textsSoFar(what: string) {
  await waitFor(async () => twilio.byTo(PHONE).length >= expected.length, `texts: ${what}`);
  await new Promise((r) => setTimeout(r, 400));
  expect(await received(), what).toEqual(expected);
}

async function goTo(date: string, hhmm: string) {
  await skipTo(env, new Date(instant(date, hhmm)));
}
/** The member texting us, as Twilio posts it: signed over our public URL. */
async function sms(body: string) {
  const params = {
    MessageSid: newMessageSid(),
    AccountSid: twilio.accountSid,
    From: PHONE,
    To: OUR_NUMBER,
    Body: body,
  };
  const res = await app.request('/webhooks/twilio/sms', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.signInbound(`${PUBLIC}/webhooks/twilio/sms`, params),
    },
    body: new URLSearchParams(params).toString(),
  });
  expect(res.status).toBe(200);
}

async function api(method: string, path: string, body?: unknown) {
  const res = await app.request(path, {
    method,
    headers: json,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

it('a 30-day journey: the exact texts, streaks, adherence and risk', { timeout: 600_000 }, async () => {
  // --- Sunday 7 March 2027, New York (EST) ---------------------------------------------------------------
  await goTo('2027-03-07', '12:00');
  const created = await api('POST', '/members', {
    name: NAME,
    phone: PHONE,
    timezone: tz,
    checkInTime: '18:00',
    tone: 'tough_love',
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const handle = env.client.workflow.getHandle(memberWorkflowId(id));
  expectText('welcome', '2027-03-07', '12:00');
  await textsSoFar('welcome');
  expect((await handle.query(memberStateQuery)).status).toBe('pending_confirmation');

  await goTo('2027-03-07', '12:05');
  await sms('YES');
  expectText('confirmed', '2027-03-07', '12:05');
  await textsSoFar('confirmed');
  await waitFor(
    async () => (await handle.describe()).typedSearchAttributes.get(MEMBER_STATUS_SA) === 'active',
    'CrewlineMemberStatus = active right after YES',
  );

  await goTo('2027-03-07', '12:10');
  await sms('GOAL run daily');
  expectText('goal_added', '2027-03-07', '12:10');
  await textsSoFar('goal by SMS');
  const stretch = await handle.executeUpdate(addGoalUpdate, {
    args: [{ title: 'stretch 10 min', cadence: { kind: 'daily' } }],
  });
  expect(stretch).toMatchObject({ id: 2, status: 'active', planSource: 'plan@1' });
  expect(stretch.plan!.milestones.length).toBeGreaterThan(0);

  /** A day with a prompt at 18:00 and the given replies (local times). */
  async function day(date: string, replies: Array<[string, string, string | null]>) {
    await goTo(date, '18:00');
    expectText('checkin_prompt', date, '18:00');
    await textsSoFar(`prompt ${date}`);
    for (const [hhmm, body, answerKind] of replies) {
      await goTo(date, hhmm);
      await sms(body);
      if (answerKind) expectText(answerKind, date, hhmm);
      await textsSoFar(`${body} on ${date}`);
    }
  }
  /** A silent day: a nudge at 20:00, then the day is missed at local midnight. */
  async function silentDay(date: string) {
    await goTo(date, '18:00');
    expectText('checkin_prompt', date, '18:00');
    expectText('nudge', date, '20:00');
    await goTo(date, '23:59');
    await textsSoFar(`silent ${date}`);
  }

  await day('2027-03-07', [['18:30', 'Y', 'checkin_ack']]);
  const prompt = twilio.byTo(PHONE).at(-2)!.body;
  expect(prompt).toContain('1) run');
  expect(prompt).toContain('2) stretch 10 min');
  await day('2027-03-08', [['18:10', '1 Y 2 N tired', 'checkin_ack']]);
  await day('2027-03-09', [['18:30', 'Y', 'checkin_ack']]);
  // 2 of 3 days done: medium risk (one bad first day alone was not), and operators see it at once, not at the
  // next timer.
  await waitFor(
    async () => (await handle.describe()).typedSearchAttributes.get(RISK_LEVEL_SA) === 'medium',
    'CrewlineRiskLevel = medium right after the reply',
  );
  await silentDay('2027-03-10');
  await goTo('2027-03-11', '08:00');
  await sms('yesterday Y');
  expectText('late_ack', '2027-03-11', '08:00');
  await textsSoFar('late reply');
  await day('2027-03-11', [
    ['19:00', '1 Y', 'partial_ack'],
    ['19:30', '2 Y mood 4', 'checkin_ack'],
  ]);
  await day('2027-03-12', [['18:30', 'Y', 'checkin_ack']]);
  await day('2027-03-13', [['18:30', 'REST', 'rest_ack']]);
  // Sunday 14 March: New York springs forward at 02:00; 18:00 is now EDT. The weekly summary comes first.
  expectText('weekly_summary', '2027-03-14', '18:00');
  await day('2027-03-14', [['18:30', 'Y', 'checkin_ack']]);
  await day('2027-03-15', [['18:30', 'Y', 'checkin_ack']]);
  expect((await handle.query(memberStateQuery)).currentStreak).toBe(6);
  await silentDay('2027-03-16');
  await silentDay('2027-03-17');
  await silentDay('2027-03-18');

  // Three misses in a row: high risk, published, searchable.
  await goTo('2027-03-19', '10:00');
  await waitFor(async () => (await handle.query(memberStateQuery)).risk === 'high', 'high risk');
  await waitFor(
    async () => (await handle.describe()).typedSearchAttributes.get(RISK_LEVEL_SA) === 'high',
    'CrewlineRiskLevel = high',
  );
  // Pause through Sunday 21 March (no prompts, no misses, no weekly summary).
  expect((await api('POST', `/members/${id}/pause`, { until: '2027-03-21' })).status).toBe(200);
  await day('2027-03-22', [['18:30', 'Y', 'checkin_ack']]);

  // Tuesday 23 March, 10:00 in New York: the member moves to Berlin (15:00 CET there).
  await goTo('2027-03-23', '10:00');
  const moved = await api('PATCH', `/members/${id}`, { timezone: 'Europe/Berlin' });
  expect(moved.status).toBe(200);
  tz = 'Europe/Berlin';
  expect(moved.body.nextPromptAt).toBe(new Date(instant('2027-03-23', '18:00')).toISOString());
  for (const date of ['2027-03-23', '2027-03-24', '2027-03-25', '2027-03-26', '2027-03-27'])
    await day(date, [['18:30', 'Y', 'checkin_ack']]);
  // Sunday 28 March: Berlin springs forward at 02:00; 18:00 CEST.
  expectText('weekly_summary', '2027-03-28', '18:00');
  await day('2027-03-28', [['18:30', 'Y', 'checkin_ack']]);

  // Monday 29 March: STOP. Nothing on the 29th and 30th; START on the 31st.
  await goTo('2027-03-29', '09:00');
  await sms('STOP');
  expectText('opt_out_reply', '2027-03-29', '09:00');
  await textsSoFar('STOP');
  await goTo('2027-03-31', '09:00');
  await sms('START');
  expectText('opt_in_reply', '2027-03-31', '09:00');
  await textsSoFar('START');
  for (const date of ['2027-03-31', '2027-04-01', '2027-04-02', '2027-04-03'])
    await day(date, [['18:30', 'Y', 'checkin_ack']]);
  expectText('weekly_summary', '2027-04-04', '18:00');
  await day('2027-04-04', [['18:30', 'Y', 'checkin_ack']]);
  await day('2027-04-05', [['18:30', 'Y', 'checkin_ack']]);

  // --- The end: streaks, goals, adherence, risk ----------------------------------------------------------
  const state = await handle.query(memberStateQuery);
  expect(state).toMatchObject({
    status: 'active',
    timezone: 'Europe/Berlin',
    currentStreak: 13,
    longestStreak: 13,
    risk: 'low',
  });
  expect(state.goals.map((g) => [g.id, g.title, g.currentStreak, g.longestStreak])).toEqual([
    [1, 'run', 13, 13],
    [2, 'stretch 10 min', 13, 13],
  ]);
  // The progress view (what GET /members/:id/progress serves) as of the member's local today, 5 April: the
  // API reads the wall clock, which the time-skipping server does not move.
  const progress = await memberProgress(database.db, id, '2027-04-05');
  expect(progress).toMatchObject({ currentStreak: 13, longestStreak: 13, risk: 'low', consecutiveMisses: 0 });
  expect(progress!.adherence.d7).toBe(1);
  expect(progress!.adherence.d30).toBeCloseTo(20 / 24);
  expect(progress!.weeks[0]).toEqual({ weekStart: '2027-04-05', done: 1, due: 1 });
  expect(progress!.weeks[1]).toEqual({ weekStart: '2027-03-29', done: 5, due: 5 });

  const changes = await database.db
    .select({ from: riskEvents.fromLevel, to: riskEvents.toLevel, day: riskEvents.localDate })
    .from(riskEvents)
    .where(eq(riskEvents.memberId, id))
    .orderBy(asc(riskEvents.id));
  expect(changes.map((c) => `${c.day} ${c.from}→${c.to}`)).toEqual([
    '2027-03-09 low→medium',
    '2027-03-11 medium→low',
    '2027-03-18 low→medium',
    '2027-03-19 medium→high',
    '2027-03-23 high→medium',
    '2027-03-24 medium→low',
  ]);
  expect((await handle.describe()).typedSearchAttributes.get(RISK_LEVEL_SA)).toBe('low');

  // Reflections and moods are kept per goal; the reflection passed moderation.
  const mar8 = await database.db.query.checkIns.findMany({
    where: (c, { and }) => and(eq(c.memberId, id), eq(c.localDate, '2027-03-08')),
    orderBy: (c) => [asc(c.goalId)],
  });
  expect(mar8.map((c) => [c.goalId, c.status, c.reflection, c.shareable])).toEqual([
    [1, 'done', 'tired', true],
    [2, 'not_done', 'tired', true],
  ]);
  const mar11 = await database.db.query.checkIns.findFirst({
    where: (c, { and }) => and(eq(c.memberId, id), eq(c.localDate, '2027-03-11'), eq(c.goalId, 2)),
  });
  expect(mar11).toMatchObject({ status: 'done', mood: 4 });
  expect(await database.db.select().from(checkIns).where(eq(checkIns.status, 'rest'))).toHaveLength(2);

  // No phone number, e-mail or name ever reached OpenAI.
  expect(openai.chatRequests.length).toBeGreaterThan(20);
  for (const r of openai.requests) {
    expect(r.raw).not.toMatch(/\+?1?415555\d{4}/);
    expect(r.raw).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.]+/);
    expect(r.raw).not.toContain('Whitfield');
    expect(r.raw).not.toContain('Dana');
  }
  await captureHistory('member-journey', handle);
  await finishMember(handle);
});
