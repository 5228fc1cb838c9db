/**
 * Inbound texts per second through the signature-checked webhook, on the real stack (embedded PostgreSQL,
 * Temporal CLI dev server, `--workers` worker processes and `--apis` API processes, the fake Twilio).
 *
 *   npm run bench -- inbound [--rate 225] [--seconds 20] [--members 300] [--workers 1] [--apis 1]
 *                            [--per-phone-limit 0] [--campaign-mps 0] [--cpu-prof <dir>]
 *
 * The mix of numbers is `--members` against rate × seconds: texts go round-robin over the members, so
 * `--members 300` at 225/s for 20 s is 15 texts per number (a per-number burst: most texts find an older one of
 * their number still in flight and follow it), and `--members 2250 --seconds 10` is one text per number (real
 * traffic: many numbers, most sending one reply). `--per-phone-limit` is the API's INBOUND_PER_PHONE_PER_MINUTE
 * (0 = off, the default here, so a burst measures routing, not the flood guard). `--campaign-mps N` runs a guest
 * campaign at N texts/s (enough guests for the whole run) while the texts arrive. `--cpu-prof <dir>` runs the
 * API and worker under `node --cpu-prof` and prints where their CPU went.
 *
 * Members are onboarded through `POST /members` (the onboarding rate is reported) and confirm by SMS. Then texts
 * ("Y" before the day's prompt: stored, routed to the member's workflow, kept and not counted, and answered with
 * nothing) are posted open-loop at `--rate` per second, signed as Twilio signs them, round-robin over the APIs
 * and the members. Reported: webhook latency, receipt → routed (signal accepted by Temporal, from Postgres), the
 * time until every member workflow has handled its signals after the burst (a query is answered only after the
 * pending signals are applied), texts lost or doubled, and CPU seconds per text by process.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import {
  createCampaign,
  createGuestList,
  findOrCreateImport,
  setCampaignRate,
  writeImportBatch,
} from '../db/campaigns.js';
import { guestCampaignWorkflow } from '../workflows/guest-campaign/workflow.js';
import { guestCampaignWorkflowId, memberWorkflowId, TASK_QUEUE } from '../workflows/ids.js';
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
import { noonZone } from '../test/helpers/zones.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '225' },
    seconds: { type: 'string', default: '20' },
    members: { type: 'string', default: '300' },
    workers: { type: 'string', default: '1' },
    apis: { type: 'string', default: '1' },
    'per-phone-limit': { type: 'string', default: '0' },
    'campaign-mps': { type: 'string', default: '0' },
    'cpu-prof': { type: 'string', default: '' },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const MEMBERS = Number(values.members);
const WORKERS = Number(values.workers);
const APIS = Number(values.apis);
const PER_PHONE_LIMIT = Number(values['per-phone-limit']);
const CAMPAIGN_MPS = Number(values['campaign-mps']);
/** Guests' numbers (+1415 8xx xxxx): never a member's (benchPhone), so the campaign's texts are counted apart. */
const GUEST_PREFIX = '+14158';
const CPU_PROF = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : undefined;
if (CPU_PROF) await mkdir(CPU_PROF, { recursive: true });

const loadBefore = load();
const stack = await startStack({
  workers: WORKERS,
  apis: APIS,
  apiEnv: { INBOUND_PER_PHONE_PER_MINUTE: String(PER_PHONE_LIMIT) },
  ...(CPU_PROF && { cpuProfileDir: CPU_PROF }),
});
const apis = stack.apis.map((a) => a.url);
const burstWindow = { fromUs: 0, toUs: Infinity };
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

  // A guest campaign sending while the texts arrive (its guests are not members: their numbers never text in).
  const campaignTexts = () => stack.fake.messages.filter((m) => m.to.startsWith(GUEST_PREFIX)).length;
  let campaign: { id: string; sentBefore: number } | undefined;
  if (CAMPAIGN_MPS > 0) {
    const guests = Math.ceil(CAMPAIGN_MPS * (SECONDS + 120));
    // Guests where it is about noon: a campaign text waits for the guest's 08:00–21:00 window, whenever this runs.
    const guestZone = noonZone();
    const t1 = Date.now();
    const list = await createGuestList(stack.db, 'bench inbound');
    // Written as the import route writes them: 1,000 guests and their consent evidence per transaction.
    const { row: imp } = await findOrCreateImport(stack.db, {
      listId: list.id,
      contentKey: `bench-${Date.now()}`,
      format: 'json',
      total: guests,
    });
    for (let from = 0; from < guests; from += 1000) {
      const rows = Array.from({ length: Math.min(1000, guests - from) }, (_, j) => from + j);
      await writeImportBatch(stack.db, imp.id, {
        lastRow: rows.at(-1)! + 1,
        rejected: [],
        guests: rows.map((i) => ({
          row: i + 1,
          phone: `${GUEST_PREFIX}${String(i).padStart(6, '0')}`,
          name: 'Guest',
          timezone: guestZone,
          variables: {},
          consent: { source: 'bench', at: new Date(), text: 'yes' },
        })),
      });
    }
    const c = await createCampaign(stack.db, {
      listId: list.id,
      name: 'bench inbound',
      template: 'Doors open at 7pm, {{name}}. See you there!',
      segmentBudget: 1,
      brand: 'Crewline',
    });
    // The rate as `POST /campaigns/{id}/send` stores it: the send activity paces from the campaign's row.
    await setCampaignRate(stack.db, c.id, CAMPAIGN_MPS);
    log(`imported ${guests} guests in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
    const sentAtStart = stack.fake.messages.length;
    await stack.env.client.workflow.start(guestCampaignWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: guestCampaignWorkflowId(c.id),
      args: [{ campaignId: c.id, rateMps: CAMPAIGN_MPS, maxRateMps: CAMPAIGN_MPS }],
    });
    await waitUntil(
      'the campaign sending',
      () => stack.fake.messages.length > sentAtStart + CAMPAIGN_MPS * 5,
    );
    campaign = { id: c.id, sentBefore: campaignTexts() };
    log(`campaign sending at ${CAMPAIGN_MPS}/s; load average ${load()}`);
  }

  // The burst, open loop.
  const total = RATE * SECONDS;
  const sids = Array.from({ length: total }, () => newMessageSid());
  const latencies: number[] = [];
  /** Webhook latencies per minute of the run (the p99 of the worst minute). */
  const byMinute: number[][] = [];
  const statuses = new Map<number, number>();
  const cpu0 = await cpuByRole();
  // V8's profile timestamps are CLOCK_MONOTONIC microseconds, as process.hrtime: the burst's window in them.
  burstWindow.fromUs = Number(process.hrtime.bigint() / 1000n);
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
        const ms = performance.now() - t;
        latencies.push(ms);
        (byMinute[Math.floor((t - start) / 60_000)] ??= []).push(ms);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      })(),
    );
  }
  await Promise.all(inflight);
  const postedIn = (performance.now() - start) / 1000;
  const campaignSent = campaign ? campaignTexts() - campaign.sentBefore : 0;
  const otherSent = stack.fake.messages.length - sentBefore - (campaign ? campaignTexts() : 0);
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
  burstWindow.toUs = Number(process.hrtime.bigint() / 1000n);
  // What one text costs in workflow history: events of 20 members since the burst began, by type.
  const sample = Math.min(20, MEMBERS);
  const eventTypes = new Map<string, number>();
  let sampleEvents = 0;
  for (let i = 0; i < sample; i++) {
    const history = await stack.env.client.workflow.getHandle(memberWorkflowId(ids[i]!)).fetchHistory();
    for (const e of history.events ?? []) {
      const at = e.eventTime?.seconds ? Number(e.eventTime.seconds) * 1000 : 0;
      if (at < startedAt - 1000) continue;
      sampleEvents++;
      // The event's type, from the one attributes field it carries (e.g. timerStartedEventAttributes).
      const type =
        Object.keys(e)
          .find((k) => k.endsWith('EventAttributes') && (e as Record<string, unknown>)[k])
          ?.replace(/EventAttributes$/, '') ?? '?';
      eventTypes.set(type, (eventTypes.get(type) ?? 0) + 1);
    }
  }
  const sampleTexts = Array.from({ length: total }, (_, i) => i % MEMBERS).filter((m) => m < sample).length;

  const [row] = (await stack.db.execute(sql`
    select count(*)::int as n, count(distinct provider_sid)::int as distinct_sids,
           count(*) filter (where route_status = 'routed')::int as routed,
           count(*) filter (where route_status = 'unrouted')::int as unrouted,
           percentile_cont(0.5) within group (order by extract(epoch from routed_at - received_at) * 1000) as p50,
           percentile_cont(0.99) within group (order by extract(epoch from routed_at - received_at) * 1000) as p99
      from inbound_messages where body = 'Y'`)) as unknown as Array<{
    n: number;
    distinct_sids: number;
    routed: number;
    unrouted: number;
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
    `Command: \`npm run bench -- inbound --rate ${RATE} --seconds ${SECONDS} --members ${MEMBERS} --workers ${WORKERS} --apis ${APIS} --per-phone-limit ${PER_PHONE_LIMIT} --campaign-mps ${CAMPAIGN_MPS}${CPU_PROF ? ' --cpu-prof <dir>' : ''}\``,
    `Machine: ${machine()}; date ${new Date().toISOString()}; load average before ${loadBefore}, after ${load()}`,
    '',
    `- offered ${total} texts at ${RATE}/s; posted in ${postedIn.toFixed(1)} s (achieved ${(total / postedIn).toFixed(0)}/s; ${behind} sends started > 50 ms late)`,
    `- webhook answers: ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(', ')}; latency p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms`,
    `- stored ${row!.n} (distinct MessageSids ${row!.distinct_sids}), routed ${row!.routed}, unrouted ${row!.unrouted}: lost ${total - row!.routed - row!.unrouted}, doubled ${row!.n - row!.distinct_sids}`,
    `- receipt → routed (signal accepted): p50 ${Number(row!.p50).toFixed(0)} ms, p99 ${Number(row!.p99).toFixed(0)} ms`,
    `- (routed = the signal accepted by Temporal, in the webhook or later by the inbox drainer; lost = not routed within 5 min)`,
    `- every signal handled by the member workflows ${handledIn.toFixed(1)} s after the first text (burst ${SECONDS} s): drain lag ${(handledIn - SECONDS).toFixed(1)} s`,
    `- member workflow history per text (${sample} members, ${sampleTexts} texts): ${(sampleEvents / Math.max(1, sampleTexts)).toFixed(2)} events — ${[
      ...eventTypes,
    ]
      .sort((a, b) => b[1] - a[1])
      .map(([t, n]) => `${t} ${(n / Math.max(1, sampleTexts)).toFixed(2)}`)
      .join(', ')}`,
    `- texts per number: ${(total / MEMBERS).toFixed(1)} (${MEMBERS} members, round-robin); per-phone limit ${PER_PHONE_LIMIT || 'off'}; throttled (stored unrouted) ${row!.unrouted}`,
    `- webhook p99 by minute: ${byMinute
      .map((m) =>
        percentile(
          m.sort((a, b) => a - b),
          0.99,
        ).toFixed(0),
      )
      .join(', ')} ms`,
    ...(campaign
      ? [
          `- guest campaign at ${CAMPAIGN_MPS}/s during the texts: ${campaignSent} campaign texts at the fake Twilio while the texts were posted (${(campaignSent / postedIn).toFixed(1)}/s); texts to members meanwhile: ${otherSent}`,
        ]
      : [`- texts sent in answer: ${stack.fake.messages.length - sentBefore} (expected 0)`]),
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
if (CPU_PROF) console.log(await summariseProfiles(CPU_PROF, burstWindow));
process.exit(0);

/** Self time by package / source folder and the top functions, per profiled process (V8 .cpuprofile). */
async function summariseProfiles(dir: string, window: { fromUs: number; toUs: number }): Promise<string> {
  interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }
  const out: string[] = ['', `CPU profiles (${dir}):`];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'))) {
    const p = JSON.parse(await readFile(path.join(dir, file), 'utf8')) as {
      nodes: Node[];
      startTime: number;
      samples: number[];
      timeDeltas: number[];
    };
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    // Only the samples between the first text and every text handled (not start-up, not onboarding).
    let at = p.startTime;
    p.samples.forEach((id, i) => {
      const dt = p.timeDeltas[i] ?? 0;
      at += dt;
      if (at >= window.fromUs && at <= window.toUs) self.set(id, (self.get(id) ?? 0) + dt);
    });
    const where = (url: string) => {
      if (!url) return '(native/idle/gc)';
      const nm = url.lastIndexOf('node_modules/');
      if (nm >= 0) {
        const parts = url.slice(nm + 13).split('/');
        return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
      }
      if (url.startsWith('node:')) return 'node core';
      const rel = url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
      return rel.split('/').slice(0, 2).join('/');
    };
    const groups = new Map<string, number>();
    const fns = new Map<string, number>();
    let busy = 0;
    for (const [id, us] of self) {
      const n = byId.get(id)!;
      const name = n.callFrame.functionName || '(anonymous)';
      if (name === '(idle)' || name === '(program)') continue;
      busy += us;
      const g = name === '(garbage collector)' ? 'gc' : where(n.callFrame.url);
      groups.set(g, (groups.get(g) ?? 0) + us);
      const f = `${name} ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
      fns.set(f, (fns.get(f) ?? 0) + us);
    }
    const top = (m: Map<string, number>, k: number) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, k)
        .map(([name, us]) => `${name} ${((us / busy) * 100).toFixed(1)}%`)
        .join('; ');
    const [, pidText, thread] = /^CPU\.\d+\.\d+\.(\d+)\.(\d+)\./.exec(file) ?? [];
    const pid = Number(pidText);
    const role = stack.workers.some((w) => w.pid === pid)
      ? 'worker'
      : stack.apis.some((a) => a.child.pid === pid)
        ? 'api'
        : 'other';
    if (busy < 1e5) continue; // a thread idle during the burst (e.g. the module loader's)
    out.push(
      `- ${role} (pid ${pid}, thread ${thread}), during the burst and its handling: busy ${(busy / 1e6).toFixed(1)} s sampled`,
    );
    out.push(`  by package/folder: ${top(groups, 12)}`);
    out.push(`  top functions: ${top(fns, 12)}`);
  }
  return out.join('\n');
}
