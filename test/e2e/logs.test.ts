/**
 * No personal data in any log line, including database and SDK errors; no activity retries forever on input
 * the database will never accept.
 *
 * Every line is captured: the API's logger and the Temporal SDK's Runtime logger (worker lifecycle, "Activity
 * failed" warnings, workflow logs) both write through the project's pino logger into memory, at debug level.
 * A member flow runs with bad input (a phone already registered, NUL bytes in an inbound text and a goal
 * title), then a probe workflow runs activities that fail in the database the way real ones do: a unique
 * violation whose Postgres detail names the phone, a NUL byte (22021), a check constraint (23514), and a
 * database that refuses two connections before it answers.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDb, type Db } from '../../db/client.js';
import { goals, members } from '../../db/schema.js';
import { installRuntime } from '../../worker/runtime.js';
import { json, testApp } from '../helpers/app.js';
import { captureLogger, testLogLevel } from '../helpers/logs.js';
import { newMessageSid, OUR_NUMBER } from '../helpers/members.js';
import { timeSkippingStack, type TimeSkippingStack } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';
import type { ProbeOutcome, logProbeWorkflow } from './log-probe.workflows.js';

const PHONE = '+14155550177';
const NAME = 'Philippa Quarrington';
const OTHER_NAME = 'Bartholomew Ingersoll';
const BODY = 'feeling awful after the divorce hearing';
const TITLE = 'Stop calling my ex';
const NOTE = 'diagnosed with insomnia';
/** Every form a value could take in a line (the phone without its +, URL-encoded, or with separators). */
const PERSONAL = [
  PHONE,
  PHONE.slice(1),
  '4155550177',
  '415-555-0177',
  NAME,
  'Quarrington',
  OTHER_NAME,
  BODY,
  TITLE,
  NOTE,
];

const require = createRequire(import.meta.url);
const capture = captureLogger('debug');
const attempts: Record<string, number> = {};
const count = (probe: string) => (attempts[probe] = (attempts[probe] ?? 0) + 1);

function probeActivities(db: Db) {
  return {
    async probeDuplicatePhone(input: { name: string; phone: string }) {
      count('duplicatePhone');
      await db.insert(members).values({
        id: randomUUID(),
        name: input.name,
        phone: input.phone,
        timezone: 'America/New_York',
        checkInTime: '07:00',
      });
    },
    async probeNulTitle(input: { phone: string; title: string }) {
      count('nulTitle');
      const [member] = await db
        .select()
        .from(members)
        .where(sql`${members.phone} = ${input.phone}`);
      await db.insert(goals).values({
        memberId: member!.id,
        goalId: 99,
        title: `${input.title}\u0000`,
        cadence: { kind: 'daily' },
        createdOn: '2026-11-30',
      });
    },
    async probeCheckConstraint(input: { note: string }) {
      count('checkConstraint');
      await db.execute(sql`insert into probe_checked values (-1, ${input.note})`);
    },
    async probeFlakyDatabase(input: { failures: number }) {
      if (count('flakyDatabase') > input.failures) return 'ok';
      const gone = createDb('postgres://x:y@127.0.0.1:1/none', { max: 1 });
      try {
        await gone.db.execute(sql`select ${PHONE}`);
        return 'unexpected';
      } finally {
        await gone.close();
      }
    },
  };
}

let t: TimeSkippingStack;
let app: ReturnType<typeof testApp>;

beforeAll(async () => {
  installRuntime('debug', capture.logger);
  t = await timeSkippingStack({
    extraActivities: probeActivities,
    workflowsPath: require.resolve('./log-probe.workflows.ts'),
  });
  await t.database
    .sql`create table probe_checked (n integer constraint probe_n_positive check (n > 0), note text)`;
  app = testApp(t.database.db, t.env.client, {}, capture.logger);
});

afterAll(async () => {
  await t?.close();
  // Back to the quiet test logger for anything that still runs in this process.
  const { createLogger } = await import('../../worker/logger.js');
  installRuntime(testLogLevel(), createLogger(testLogLevel(), 'test'));
});

const text = (Body: string) =>
  app.request('/webhooks/twilio/sms', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ MessageSid: newMessageSid(), From: PHONE, To: OUR_NUMBER, Body }).toString(),
  });

it('a member flow with bad input and failing database activities logs no phone, name or message body', async () => {
  // The member flow, through the API and the webhook.
  const created = await app.request('/members', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ name: NAME, phone: PHONE, timezone: 'America/New_York', checkInTime: '07:00' }),
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const again = await app.request('/members', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({
      name: OTHER_NAME,
      phone: PHONE,
      timezone: 'America/New_York',
      checkInTime: '08:00',
    }),
  });
  expect(again.status).toBe(409);
  await text('YES');
  await waitFor(async () => {
    const res = await app.request(`/members/${id}`, { headers: json });
    return ((await res.json()) as { status?: string }).status === 'active';
  }, 'the member to confirm');
  await text(BODY);
  await text(`${BODY}\u0000 ${NAME}`);
  // Refused, whichever layer refuses it — but answered, not left hanging on an activity retrying forever.
  const goal = await app.request(`/members/${id}/goals`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ title: `${TITLE}\u0000`, cadence: { kind: 'daily' } }),
  });
  expect(goal.status).toBeGreaterThanOrEqual(400);
  expect(goal.status).toBeLessThan(500);

  // Activities failing in the database, under a retry policy with no attempt limit.
  const outcomes: ProbeOutcome[] = await t.env.client.workflow.execute<typeof logProbeWorkflow>(
    'logProbeWorkflow',
    {
      taskQueue: 'crewline',
      workflowId: `log-probe-${randomUUID()}`,
      args: [{ name: OTHER_NAME, phone: PHONE, title: TITLE, note: NOTE }],
    },
  );
  expect(outcomes).toEqual([
    expect.objectContaining({ probe: 'duplicatePhone', type: 'DatabaseIntegrityError', nonRetryable: true }),
    expect.objectContaining({ probe: 'nulTitle', type: 'DatabaseDataError', nonRetryable: true }),
    expect.objectContaining({ probe: 'checkConstraint', type: 'DatabaseIntegrityError', nonRetryable: true }),
    { probe: 'flakyDatabase', ok: true },
  ]);
  expect(outcomes[0]!.message).toContain('members_phone_unique');
  // Input the database can never accept fails once; a database that is briefly away is retried.
  expect(attempts).toEqual({ duplicatePhone: 1, nulTitle: 1, checkConstraint: 1, flakyDatabase: 3 });

  // The capture saw the API's lines and the SDK's own failure warnings — and none of the personal data.
  const lines = capture.lines;
  expect(lines.some((l) => l.includes('"msg":"request"'))).toBe(true);
  const failures = () => lines.filter((l) => l.includes('"msg":"Activity failed"'));
  // Three probes and two failed attempts of the flaky one (the NUL goal title is refused at the API's edge, so
  // no storeGoal runs). With the native core's logs forwarded,
  // the SDK merges every line in time order through a short buffer: they arrive a moment after the fact.
  const failed = await waitFor(() => failures().length >= 5 && failures(), 'the SDK failure warnings');
  expect(failed.some((l) => l.includes('23505') && l.includes('members_phone_unique'))).toBe(true);
  expect(failed.some((l) => l.includes('22021'))).toBe(true);
  expect(failed.some((l) => l.includes('ECONNREFUSED'))).toBe(true);
  const leaks = lines.filter((l) => PERSONAL.some((p) => l.includes(p) || l.includes(encodeURIComponent(p))));
  expect(leaks).toEqual([]);
});
