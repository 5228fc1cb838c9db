/**
 * Guest campaign benchmark: three campaigns sharing one sender at MPS 100, through the real stack (Temporal CLI
 * dev server, the production worker process, embedded Postgres, the twilio SDK against the fake Twilio).
 *
 *   npm run bench -- campaign [--guests 4000] [--mps 100] [--seconds 100] [--rampup 15]
 *
 * Reports: import time (guests + consent ledger, straight through db/campaigns.ts), time from start to the first
 * text, achieved segments/s ÷ MPS over the full 60-second windows after ramp-up, each campaign's share ÷ its fair
 * share (MPS ÷ 3), Temporal history events per text (all runs so far), and the worker's peak RSS.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createCampaign, createGuestList, insertGuests } from '../db/campaigns.js';
import { createDb } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { temporalCliExecutable } from '../scripts/tools.js';
import { startFakeTwilio } from '../test/fakes/twilio.js';
import { startEmbeddedPostgres } from '../worker/infra.js';
import { installRuntime } from '../worker/worker.js';
import { guestCampaignWorkflow } from '../workflows/guest-campaign/workflow.js';
import { guestCampaignWorkflowId, TASK_QUEUE } from '../workflows/ids.js';

const { values } = parseArgs({
  options: {
    guests: { type: 'string', default: '4000' },
    mps: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '100' },
    rampup: { type: 'string', default: '15' },
  },
});
const GUESTS = Number(values.guests);
const MPS = Number(values.mps);
const SECONDS = Number(values.seconds);
const RAMPUP = Number(values.rampup);
const CAMPAIGNS = 3;

installRuntime('warn');
const log = (s: string) => process.stdout.write(`[bench] ${s}\n`);

const dir = await mkdtemp(path.join(tmpdir(), 'crewline-bench-'));
await chmod(dir, 0o755);
const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), persistent: false });
await runMigrations(pg.url);
const { db, close } = createDb(pg.url, { max: 20 });
const env = await TestWorkflowEnvironment.createLocal({
  server: {
    executable: await temporalCliExecutable(),
    ip: '127.0.0.1',
    extraArgs: [
      '--log-level',
      'error',
      '--sqlite-pragma',
      'journal_mode=WAL',
      '--sqlite-pragma',
      'synchronous=OFF',
    ],
  },
});
const fake = await startFakeTwilio({ mps: MPS });
const worker = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
  cwd: path.resolve(import.meta.dirname, '..'),
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'warn',
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: env.address,
    TWILIO_ACCOUNT_SID: fake.accountSid,
    TWILIO_AUTH_TOKEN: fake.authToken,
    TWILIO_FROM_NUMBER: '+15005550006',
    TWILIO_API_BASE_URL: fake.baseUrl,
    PUBLIC_BASE_URL: 'https://bench.example.com',
    SMS_MPS: String(MPS),
  },
});
let peakRss = 0;
const rssTimer = setInterval(() => {
  readFile(`/proc/${worker.pid}/status`, 'utf8')
    .then((s) => {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
      peakRss = Math.max(peakRss, kb * 1024);
    })
    .catch(() => undefined);
}, 1000);

// Guests in UTC (inside the 08:00–21:00 marketing window while the bench runs in the daytime, UTC).
const t0 = Date.now();
const campaignIds: string[] = [];
for (let k = 0; k < CAMPAIGNS; k++) {
  const list = await createGuestList(db, `bench ${k}`);
  await insertGuests(
    db,
    list.id,
    Array.from({ length: GUESTS }, (_, i) => ({
      phone: `+1415${k + 2}${String(i).padStart(6, '0')}`,
      name: 'Guest',
      timezone: 'UTC',
      variables: {},
      consent: { source: 'bench', at: new Date(), text: 'yes' },
    })),
  );
  const c = await createCampaign(db, {
    listId: list.id,
    name: `bench ${k}`,
    template: 'Doors open at 7pm, {{name}}. See you there!',
    segmentBudget: 1,
    brand: 'Crewline',
  });
  campaignIds.push(c.id);
}
const importS = (Date.now() - t0) / 1000;
log(`imported ${CAMPAIGNS} × ${GUESTS} guests in ${importS.toFixed(1)} s (load ${loadavg()[0]!.toFixed(1)})`);

const client = new Client({ connection: env.connection });
const started = Date.now();
const handles = await Promise.all(
  campaignIds.map((campaignId) =>
    client.workflow.start(guestCampaignWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: guestCampaignWorkflowId(campaignId),
      args: [{ campaignId, maxRateMps: MPS }],
    }),
  ),
);
await new Promise((r) => setTimeout(r, SECONDS * 1000));
const loadDuring = loadavg()[0]!;

const campaignOf = (to: string) => campaignIds[Number(to.slice(5, 6)) - 2];
const first = fake.messages[0]?.createdAt.getTime() ?? started;
const windows: number[] = [];
const shares: number[][] = [];
for (let w = first + RAMPUP * 1000; w + 60_000 <= started + SECONDS * 1000; w += 60_000) {
  const inWin = fake.messages.filter((m) => m.createdAt.getTime() >= w && m.createdAt.getTime() < w + 60_000);
  windows.push(inWin.reduce((s, m) => s + m.numSegments, 0) / 60 / MPS);
  shares.push(
    campaignIds.map(
      (id) =>
        inWin.filter((m) => campaignOf(m.to) === id).reduce((s, m) => s + m.numSegments, 0) /
        60 /
        (MPS / CAMPAIGNS),
    ),
  );
}
let events = 0;
for (const h of handles) {
  const history = await client.workflow.getHandle(h.workflowId).fetchHistory();
  events += history.events?.length ?? 0;
}
const texts = fake.messages.length;
const lines = [
  `Command: \`npm run bench -- campaign --guests ${GUESTS} --mps ${MPS} --seconds ${SECONDS} --rampup ${RAMPUP}\``,
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ${new Date().toISOString()}; load average (1 min) ${loadDuring.toFixed(1)} at the end`,
  '',
  `- import: ${CAMPAIGNS} × ${GUESTS} guests with consent evidence in ${importS.toFixed(1)} s`,
  `- start → first text: ${((first - started) / 1000).toFixed(2)} s`,
  `- achieved segments/s ÷ MPS per 60 s window: ${windows.map((x) => x.toFixed(3)).join(', ') || '(run too short)'}; 429s ${fake.rejected429}`,
  `- each campaign's segments/s ÷ its fair share (MPS ÷ ${CAMPAIGNS}): ${shares.map((s) => s.map((x) => x.toFixed(3)).join(' / ')).join('; ')}`,
  `- texts ${texts}; history events (latest runs) ${events} → ${(events / Math.max(1, texts)).toFixed(3)} per text`,
  `- worker peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
];
process.stdout.write(`\n${lines.join('\n')}\n`);
clearInterval(rssTimer);
worker.kill('SIGKILL');
await env.teardown();
await fake.close();
await close();
await pg.stop();
process.exit(0);
