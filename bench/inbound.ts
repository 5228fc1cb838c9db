/**
 * Inbound texts per second through the signature-checked webhook, on the real stack (embedded PostgreSQL,
 * Temporal CLI dev server, `--workers` worker processes and `--apis` API processes, the fake Twilio).
 *
 *   npm run bench -- inbound [--rate 225] [--seconds 20] [--members 300] [--workers 1] [--apis 1]
 *
 * Members are onboarded through `POST /members` (the onboarding rate is reported) and confirm by SMS. Then texts
 * ("Y" before the day's prompt: stored, routed to the member's workflow, kept and not counted, and answered with
 * nothing) are posted open-loop at `--rate` per second, signed as Twilio signs them, round-robin over the APIs
 * and the members. Reported: webhook latency, receipt → routed (signal accepted by Temporal, from Postgres), the
 * time until every member workflow has handled its signals after the burst (a query is answered only after the
 * pending signals are applied), texts lost or doubled, and CPU seconds per text by process.
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { memberWorkflowId } from '../workflows/ids.js';
import { memberStateQuery } from '../workflows/member/definitions.js';
import {
  benchPhone,
  cpuByRole,
  createMember,
  FROM,
  load,
  log,
  machine,
  percentile,
  pool,
  postInbound,
  startStack,
} from './_stack.js';
import { newMessageSid } from '../test/helpers/members.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '225' },
    seconds: { type: 'string', default: '20' },
    members: { type: 'string', default: '300' },
    workers: { type: 'string', default: '1' },
    apis: { type: 'string', default: '1' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const MEMBERS = Number(values.members);
const WORKERS = Number(values.workers);
const APIS = Number(values.apis);

const loadBefore = load();
const stack = await startStack({ workers: WORKERS, apis: APIS });
const apis = stack.apis.map((a) => a.url);
try {
  // Onboarding.
  const t0 = Date.now();
  const ids: string[] = new Array<string>(MEMBERS);
  await pool(MEMBERS, 8, async (i) => {
    ids[i] = await createMember(apis[i % APIS]!, i);
  });
  const createdIn = (Date.now() - t0) / 1000;
  const waitUntil = async (what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 600_000) => {
    for (const deadline = Date.now() + timeoutMs; !(await ok());) {
      if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  await waitUntil('welcomes', () => stack.fake.messages.length >= MEMBERS);
  const onboardedIn = (Date.now() - t0) / 1000;
  log(
    `onboarding: ${MEMBERS} members created in ${createdIn.toFixed(1)} s (${(MEMBERS / createdIn).toFixed(1)}/s), welcomes at Twilio after ${onboardedIn.toFixed(1)} s`,
  );
  await pool(MEMBERS, 8, async (i) => {
    await postInbound(stack, apis[i % APIS]!, {
      MessageSid: newMessageSid(),
      From: benchPhone(i),
      To: FROM,
      Body: 'YES',
    });
  });
  await waitUntil('confirmations', () => stack.fake.messages.length >= 2 * MEMBERS);
  const sentBefore = stack.fake.messages.length;
  log(`all ${MEMBERS} confirmed; load average ${load()}`);

  // The burst, open loop.
  const total = RATE * SECONDS;
  const sids = Array.from({ length: total }, () => newMessageSid());
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const cpu0 = await cpuByRole();
  const start = performance.now();
  const startedAt = Date.now();
  let behind = 0;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    else if (wait < -50) behind++;
    const m = i % MEMBERS;
    inflight.push(
      (async () => {
        const t = performance.now();
        const status = await postInbound(stack, apis[i % APIS]!, {
          MessageSid: sids[i]!,
          From: benchPhone(m),
          To: FROM,
          Body: 'Y',
        }).catch(() => 0);
        latencies.push(performance.now() - t);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      })(),
    );
  }
  await Promise.all(inflight);
  const postedIn = (performance.now() - start) / 1000;
  // Texts that found an older one of their number still waiting are routed by the inbox drainer: wait for it.
  const routedCount = async () =>
    (
      (await stack.db.execute(
        sql`select count(*) filter (where route_status = 'routed')::int as routed, count(*)::int as n from inbound_messages where body = 'Y'`,
      )) as unknown as Array<{ routed: number; n: number }>
    )[0]!;
  await waitUntil(
    'every text routed',
    async () => {
      const c = await routedCount();
      return c.routed === c.n;
    },
    300_000,
  ).catch((err: Error) => log(err.message));
  // Handled: every member workflow answers a query only after applying its pending signals.
  await pool(MEMBERS, 32, async (i) => {
    await stack.env.client.workflow.getHandle(memberWorkflowId(ids[i]!)).query(memberStateQuery);
  });
  const handledIn = (Date.now() - startedAt) / 1000;
  const cpu1 = await cpuByRole();

  const [row] = (await stack.db.execute(sql`
    select count(*)::int as n, count(distinct provider_sid)::int as distinct_sids,
           count(*) filter (where route_status = 'routed')::int as routed,
           percentile_cont(0.5) within group (order by extract(epoch from routed_at - received_at) * 1000) as p50,
           percentile_cont(0.99) within group (order by extract(epoch from routed_at - received_at) * 1000) as p99
      from inbound_messages where body = 'Y'`)) as unknown as Array<{
    n: number;
    distinct_sids: number;
    routed: number;
    p50: number;
    p99: number;
  }>;
  latencies.sort((a, b) => a - b);
  const cpu = Object.fromEntries(
    Object.keys(cpu1)
      .map((k) => [k, (cpu1[k] ?? 0) - (cpu0[k] ?? 0)] as const)
      .filter(([, v]) => v > 0.05),
  );
  const cpuTotal = Object.values(cpu).reduce((a, b) => a + b, 0);
  const report = [
    '',
    `Command: \`npm run bench -- inbound --rate ${RATE} --seconds ${SECONDS} --members ${MEMBERS} --workers ${WORKERS} --apis ${APIS}\``,
    `Machine: ${machine()}; date ${new Date().toISOString()}; load average before ${loadBefore}, after ${load()}`,
    '',
    `- offered ${total} texts at ${RATE}/s; posted in ${postedIn.toFixed(1)} s (achieved ${(total / postedIn).toFixed(0)}/s; ${behind} sends started > 50 ms late)`,
    `- webhook answers: ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')}; latency p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms`,
    `- stored ${row!.n} (distinct MessageSids ${row!.distinct_sids}), routed ${row!.routed}: lost ${total - row!.routed}, doubled ${row!.n - row!.distinct_sids}`,
    `- receipt → routed (signal accepted): p50 ${Number(row!.p50).toFixed(0)} ms, p99 ${Number(row!.p99).toFixed(0)} ms`,
    `- (routed = the signal accepted by Temporal, in the webhook or later by the inbox drainer; lost = not routed within 5 min)`,
    `- every signal handled by the member workflows ${handledIn.toFixed(1)} s after the first text (burst ${SECONDS} s): drain lag ${(handledIn - SECONDS).toFixed(1)} s`,
    `- texts sent in answer: ${stack.fake.messages.length - sentBefore} (expected 0)`,
    `- CPU: ${cpuTotal.toFixed(1)} s for ${total} texts = ${((cpuTotal / total) * 1000).toFixed(1)} ms per text; by process: ${Object.entries(
      cpu,
    )
      .map(([k, v]) => `${k} ${((v / total) * 1000).toFixed(1)} ms`)
      .join(', ')}`,
    `- onboarding: ${MEMBERS} members through POST /members in ${createdIn.toFixed(1)} s (${(MEMBERS / createdIn).toFixed(1)}/s, 8 concurrent)`,
  ].join('\n');
  console.log(report);
} finally {
  await stack.stop();
}
process.exit(0);
