/**
 * Pacing benchmark: achieved segments/s ÷ configured MPS against the fake Twilio, through the real stack
 * (Temporal CLI dev server, worker with the rate-limited sender queue, Postgres, the twilio SDK).
 *
 *   npm run bench -- pacing [--mps 1,12,100] [--seconds 150] [--rampup 15]
 *
 * For each MPS it starts enough campaign-style `bulkMessageWorkflow`s (500 recipients each, 50 per activity) to
 * keep the sender busy for the whole run (every 5th message is two segments), and reports, for every full 60-second window after ramp-up, segments accepted by the fake
 * Twilio ÷ (60 × MPS), plus the number of 429s the fake answered (it enforces MPS over a trailing second).
 */
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { members } from '../db/schema.js';
import { bulkMessageWorkflow } from '../workflows/messaging/bulk.js';
import { bulkWorkflowId, TASK_QUEUE } from '../workflows/ids.js';
import { countSegments } from '../workflows/lib/segments.js';
import { log, machine, startStack } from './_stack.js';

const { values } = parseArgs({
  options: {
    mps: { type: 'string', default: '1,12,100' },
    seconds: { type: 'string', default: '150' },
    rampup: { type: 'string', default: '15' },
  },
});
const MPS_LIST = values.mps.split(',').map(Number);
const SECONDS = Number(values.seconds);
const RAMPUP = Number(values.rampup);

const SHORT = 'Crewline: your crew challenge starts tomorrow at 7am. Reply STOP to opt out.';
const LONG =
  `${SHORT} ${'Bring water, bring a friend, and bring your best attitude to the first session! '.repeat(2)}`.slice(
    0,
    300,
  );

interface Result {
  mps: number;
  windows: number[];
  rejected429: number;
  messages: number;
  segments: number;
}

async function runOne(mps: number): Promise<Result> {
  // The worker is its own process (the production entry point), as in a deployment: its event loop does not
  // share time with the fake Twilio that measures it (bench/_stack.ts).
  const stack = await startStack({
    workers: 1,
    apis: 0,
    fake: { mps },
    env: { SMS_MPS: String(mps), SMS_OPT_OUT_MANAGED_BY: '' },
    sqlitePragmas: ['journal_mode=WAL', 'synchronous=OFF'],
    dbMax: 20,
  });
  const { db, env, fake } = stack;

  // Enough messages for the whole run, plus 10 %: the sender must never run dry.
  const bodies: string[] = [];
  let planned = 0;
  while (planned < mps * SECONDS * 1.1 + 5) {
    const body = bodies.length % 5 === 4 ? LONG : SHORT;
    bodies.push(body);
    planned += countSegments(body).segments;
  }
  const ids = bodies.map(() => crypto.randomUUID());
  for (let i = 0; i < ids.length; i += 1000) {
    await db.insert(members).values(
      ids.slice(i, i + 1000).map((id, j) => ({
        id,
        name: 'B',
        phone: `+1415${String(i + j).padStart(7, '0')}`,
        timezone: 'UTC',
        checkInTime: '09:00',
      })),
    );
  }
  const client = new Client({ connection: env.connection });
  log(`MPS ${mps}: ${ids.length} messages (${planned} segments) in bulk workflows of 500…`);
  const t0 = Date.now();
  // Campaign-style: bulk workflows of 500 recipients, each sending in batches of 50 per activity.
  const PART = 500;
  const starts = [];
  for (let i = 0; i < ids.length; i += PART) {
    const items = ids.slice(i, i + PART).map((id, j) => ({
      idempotencyKey: `bench:${mps}:${i + j}`,
      to: { memberId: id },
      kind: 'bench',
      purpose: 'transactional' as const,
      body: bodies[i + j]!,
    }));
    starts.push(
      client.workflow.start(bulkMessageWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: bulkWorkflowId(`bench:${mps}:part:${i / PART}`),
        args: [{ items }],
      }),
    );
  }
  await Promise.all(starts);
  log(`MPS ${mps}: started in ${((Date.now() - t0) / 1000).toFixed(1)} s; measuring for ${SECONDS} s`);
  await new Promise((r) => setTimeout(r, Math.max(0, SECONDS * 1000 - (Date.now() - t0))));

  const first = fake.messages[0]?.createdAt.getTime() ?? t0;
  const start = first + RAMPUP * 1000;
  const windows: number[] = [];
  for (let w = start; w + 60_000 <= t0 + SECONDS * 1000; w += 60_000) {
    const segs = fake.messages
      .filter((m) => m.createdAt.getTime() >= w && m.createdAt.getTime() < w + 60_000)
      .reduce((s, m) => s + m.numSegments, 0);
    windows.push(segs / 60 / mps);
  }
  const result: Result = {
    mps,
    windows,
    rejected429: fake.rejected429,
    messages: fake.messages.length,
    segments: fake.messages.reduce((s, m) => s + m.numSegments, 0),
  };
  if (process.env.BENCH_DUMP) {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      process.env.BENCH_DUMP,
      JSON.stringify({
        ok: fake.messages.map((m) => [m.createdAt.getTime(), m.numSegments]),
        rej: fake.requests.filter((r) => r.status === 429).map((r) => r.at),
      }),
    );
  }
  const at = fake.messages.map((m) => m.createdAt.getTime()).sort((a, b) => a - b);
  const gaps = at
    .slice(1)
    .map((t, i) => t - at[i]!)
    .sort((a, b) => a - b);
  const pct = (p: number) => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))] ?? 0;
  log(
    `MPS ${mps}: windows ${windows.map((x) => x.toFixed(3)).join(', ')}; 429s ${fake.rejected429}; gaps ms p1 ${pct(0.01)} p10 ${pct(0.1)} p50 ${pct(0.5)} p90 ${pct(0.9)} p99 ${pct(0.99)}`,
  );

  // Tear down without waiting for the remaining workflows.
  await stack.stop();
  return result;
}

const results: Result[] = [];
for (const mps of MPS_LIST) results.push(await runOne(mps));

const lines = [
  `Command: \`npm run bench -- --mps ${MPS_LIST.join(',')} --seconds ${SECONDS} --rampup ${RAMPUP}\``,
  `Machine: ${machine()}; date ${new Date().toISOString().slice(0, 10)}`,
  '',
  '| MPS | 60 s windows after ramp-up: achieved segments/s ÷ MPS | min | 429s from the fake | messages / segments accepted |',
  '| --- | --- | --- | --- | --- |',
  ...results.map(
    (r) =>
      `| ${r.mps} | ${r.windows.map((x) => x.toFixed(3)).join(', ') || '(run shorter than ramp-up + 60 s)'} | ${r.windows.length ? Math.min(...r.windows).toFixed(3) : '-'} | ${r.rejected429} | ${r.messages} / ${r.segments} |`,
  ),
];
process.stdout.write(`\n${lines.join('\n')}\n`);
process.exit(0);
