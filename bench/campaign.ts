/**
 * Guest campaign benchmark (issue 10): a 100,000-guest list imported through the API, then three campaigns to
 * it sharing one sender at MPS 100, through the real stack as a user runs it (bench/_stack.ts): the Temporal CLI
 * dev server, the production worker (`worker/main.ts`, its own process, with the pre-built workflow bundle as
 * in the image) and API (`scripts/api.ts`) processes, embedded PostgreSQL, and the twilio SDK against the fake
 * Twilio (a carrier-style token bucket: it answers 429 when a create finds too few segment tokens).
 *
 *   npm run bench -- campaign [--guests 100000] [--mps 100] [--seconds 300] [--rampup 15]
 *
 * Reports: the import's time (202, and all rows written) through `POST /guest-lists/{id}/imports`; the time
 * from the three `POST /campaigns/{id}/start` to the first text at the fake; achieved segments/s ÷ MPS in every
 * full 60-second window after the ramp-up; each campaign's segments/s ÷ its fair share (MPS ÷ 3) in those
 * windows; Temporal history events per text (every run of the three campaign workflows ÷ texts accepted at
 * that moment); the worker's and the API's peak RSS; CPU seconds per process role. Sending all 3 × 100,000
 * texts at MPS 100 takes 3,000 s and more: the send is measured for `--seconds`, then the campaigns are
 * cancelled.
 */
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { guestCampaignWorkflowId } from '../workflows/ids.js';
import { cpuByRole, KEY, load, log, machine, rssSampler, startStack } from './_stack.js';
import { noonZone } from '../test/helpers/zones.js';

const { values } = parseArgs({
  options: {
    guests: { type: 'string', default: '100000' },
    mps: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '300' },
    rampup: { type: 'string', default: '15' },
  },
});
const GUESTS = Number(values.guests);
const MPS = Number(values.mps);
const SECONDS = Number(values.seconds);
const RAMPUP = Number(values.rampup);
const CAMPAIGNS = 3;

const loadAtStart = load();
const stack = await startStack({
  workers: 1,
  apis: 1,
  fake: { mps: MPS },
  env: { SMS_MPS: String(MPS) },
  prebuiltBundle: true,
  sqlitePragmas: ['journal_mode=WAL', 'synchronous=OFF'],
});
const workerPid = stack.workers[0]!.pid!;
const api = stack.apis[0]!;
const apiPid = api.child.pid!;
const rss = rssSampler(() => [workerPid, apiPid]);

async function call<T>(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`${api.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${KEY}`,
      ...(body !== undefined && { 'content-type': contentType }),
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

// 1. The import: one CSV through the API (every guest with consent evidence, in a zone where it is about noon, so
// that their 08:00–21:00 marketing window holds while the bench runs, whenever it runs).
const guestZone = noonZone();
const lines = ['phone,name,timezone,consent_source,consent_at,consent_text'];
for (let i = 0; i < GUESTS; i++)
  lines.push(
    `+1415${String(2_000_000 + i).padStart(7, '0')},Guest ${i},${guestZone},rsvp form,2026-11-01T10:00:00Z,Text me`,
  );
const csv = lines.join('\n') + '\n';
lines.length = 0;
const list = await call<{ id: string }>('POST', '/guest-lists', { name: 'bench' });
const importStarted = Date.now();
const imp = await call<{ id: string }>('POST', `/guest-lists/${list.id}/imports`, csv, 'text/csv');
const accepted202 = Date.now();
type ImportJson = { status: string; imported: number; rejected: number };
const importState = () => call<ImportJson>('GET', `/guest-lists/${list.id}/imports/${imp.id}?limit=1`);
let imported = await importState();
while (imported.status === 'running' || imported.status === 'pending') {
  await new Promise((r) => setTimeout(r, 500));
  imported = await importState();
}
const importS = (Date.now() - importStarted) / 1000;
log(
  `import ${imported.status}: ${imported.imported} guests (${imported.rejected} rejected), 202 after ${((accepted202 - importStarted) / 1000).toFixed(1)} s, written after ${importS.toFixed(1)} s (load ${load()})`,
);
if (imported.status !== 'completed') throw new Error(`import ${imported.status}`);

const importPeak = { worker: rss.peak(workerPid), api: rss.peak(apiPid) };

// 2. Three campaigns to the list, each text naming its campaign.
const createStarted = Date.now();
const campaignIds: string[] = [];
for (let k = 0; k < CAMPAIGNS; k++) {
  const c = await call<{ id: string }>('POST', '/campaigns', {
    listId: list.id,
    name: `bench ${k}`,
    template: `Bench ${k}: doors open at 7pm, {{name}}.`,
    segmentBudget: 1,
  });
  campaignIds.push(c.id);
}
const createS = (Date.now() - createStarted) / 1000 / CAMPAIGNS;
const loadBeforeSend = load();
const started = Date.now();
await Promise.all(campaignIds.map((id) => call('POST', `/campaigns/${id}/start`, {})));
const startAnswered = Date.now();
log(`three campaigns started (load ${loadBeforeSend}); sending for ${SECONDS} s`);
await new Promise((r) => setTimeout(r, SECONDS * 1000 - (Date.now() - started)));

// 3. Figures, taken before the cancel: texts accepted and history events at the same moment.
const client = new Client({ connection: stack.env.connection });
const messages = [...stack.fake.messages];
let events = 0;
let runs = 0;
for (const id of campaignIds) {
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${guestCampaignWorkflowId(id)}'` })) {
    const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
    events += history.events?.length ?? 0;
    runs++;
  }
}
const loadAtEnd = load();
const cpu = await cpuByRole();
const progress = await Promise.all(
  campaignIds.map((id) => call<{ byState: Record<string, number> }>('GET', `/campaigns/${id}/progress`)),
);
await Promise.all(campaignIds.map((id) => call('POST', `/campaigns/${id}/cancel`)));
rss.stop();

const campaignOf = (body: string) => campaignIds.findIndex((_, k) => body.includes(`Bench ${k}:`));
const first = messages[0]?.createdAt.getTime() ?? NaN;
const windows: number[] = [];
const shares: number[][] = [];
for (let w = first + RAMPUP * 1000; w + 60_000 <= started + SECONDS * 1000; w += 60_000) {
  const inWin = messages.filter((m) => m.createdAt.getTime() >= w && m.createdAt.getTime() < w + 60_000);
  windows.push(inWin.reduce((s, m) => s + m.numSegments, 0) / 60 / MPS);
  shares.push(
    campaignIds.map(
      (_, k) =>
        inWin.filter((m) => campaignOf(m.body) === k).reduce((s, m) => s + m.numSegments, 0) /
        60 /
        (MPS / CAMPAIGNS),
    ),
  );
}
const perCampaign = campaignIds.map((_, k) => messages.filter((m) => campaignOf(m.body) === k).length);
const distinct = new Set(messages.map((m) => `${campaignOf(m.body)} ${m.to}`)).size;
const mib = (x: number) => `${x.toFixed(0)} MiB`;
const out = [
  `Command: \`npm run bench -- campaign --guests ${GUESTS} --mps ${MPS} --seconds ${SECONDS} --rampup ${RAMPUP}\``,
  `Machine: ${machine()}; ${new Date().toISOString()}; load average (1/5/15 min) at the start ${loadAtStart}, before the send ${loadBeforeSend}, at the end ${loadAtEnd}`,
  '',
  `- import of ${GUESTS} guests (CSV ${(csv.length / 2 ** 20).toFixed(1)} MiB, POST /guest-lists/{id}/imports): 202 after ${((accepted202 - importStarted) / 1000).toFixed(1)} s, all written after ${importS.toFixed(1)} s; imported ${imported.imported}, rejected ${imported.rejected}`,
  `- POST /campaigns (template checked against every guest): ${createS.toFixed(1)} s each`,
  `- start → first text: ${((first - started) / 1000).toFixed(2)} s (the three starts answered after ${((startAnswered - started) / 1000).toFixed(2)} s)`,
  `- achieved segments/s ÷ MPS per 60 s window: ${windows.map((x) => x.toFixed(3)).join(', ') || '(run too short)'}; 429s ${stack.fake.rejected429}`,
  `- each campaign's segments/s ÷ its fair share (MPS ÷ ${CAMPAIGNS}), per window: ${shares.map((s) => s.map((x) => x.toFixed(3)).join(' / ')).join('; ')}`,
  `- texts ${messages.length} (per campaign ${perCampaign.join(' / ')}; distinct campaign × guest ${distinct}); guests marked sent ${progress.map((p) => p.byState.sent ?? 0).join(' / ')}`,
  `- history events ${events} in ${runs} runs → ${(events / Math.max(1, messages.length)).toFixed(3)} per text`,
  `- peak RSS: worker ${mib(rss.peak(workerPid))}, API ${mib(rss.peak(apiPid))} (until the import was written: worker ${mib(importPeak.worker)}, API ${mib(importPeak.api)})`,
  `- CPU seconds: ${Object.entries(cpu)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ')}`,
];
process.stdout.write(`\n${out.join('\n')}\n`);
await stack.stop();
process.exit(0);
