/**
 * Density: how many sleeping members one worker holds within its memory, how fast members can be onboarded, and
 * the time to wake a member that is not in the worker's cache — on the real stack (embedded PostgreSQL, the
 * Temporal CLI dev server with its SQLite database in a file as `npm start` keeps it, one worker process and one
 * API process, the fake Twilio).
 *
 *   npm run bench -- density [--members 100000] [--minutes 25] [--cache 500] [--wake 200] [--concurrency 16]
 *
 * Onboarding: members are created through `POST /members` (`--concurrency` requests in flight, and at most
 * 8 × that many created and not yet welcomed) until `--members` exist or `--minutes` have passed, whichever comes
 * first; each member's workflow texts its welcome and then
 * sleeps (waiting for YES, a reminder timer 24 h out). Every `--sample-seconds` the benchmark records the members
 * created and welcomed, the resident memory (VmRSS) of the worker, the API and the dev server, the PostgreSQL
 * database size and the dev server's database file. Then `--wake` members spread over the oldest ones (created
 * long before the last `--cache` × 2, so none is in the worker's cache) answer YES one at a time: wake time = the
 * signed webhook → the member's confirmation text at Twilio (the history fetched and replayed on the worker, the
 * signal handled, the confirmation sent).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import {
  benchPhone,
  createMember,
  FROM,
  load,
  log,
  machine,
  percentile,
  postInbound,
  rssMiB,
  startStack,
} from './_stack.js';
import { newMessageSid } from '../test/helpers/members.js';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '100000' },
    minutes: { type: 'string', default: '25' },
    cache: { type: 'string', default: '500' },
    wake: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    'sample-seconds': { type: 'string', default: '60' },
  },
});
const MEMBERS = Number(values.members);
const MINUTES = Number(values.minutes);
const CACHE = Number(values.cache);
const WAKE = Number(values.wake);
const CONCURRENCY = Number(values.concurrency);
const SAMPLE_MS = Number(values['sample-seconds']) * 1000;
const TEMPORAL_DB = 'temporal.db';
const BACKLOG = Math.max(50, 8 * CONCURRENCY);

const loadBefore = load();
const stack = await startStack({
  workers: 1,
  apis: 1,
  workerEnv: { WORKER_MAX_CACHED_WORKFLOWS: String(CACHE) },
  temporalDbFile: TEMPORAL_DB,
});
const api = stack.apis[0]!.url;
const workerPid = stack.workers[0]!.pid!;
const apiPid = stack.apis[0]!.child.pid!;
const devServerPid = await findDevServer();

/** The Temporal CLI dev server is a descendant of this process whose command line names `start-dev`. */
async function findDevServer(): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmd = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('start-dev') && cmd.includes(stack.dir)) return Number(entry);
  }
  return undefined;
}
const fileMiB = async (file: string) => ((await stat(file).catch(() => undefined))?.size ?? 0) / 2 ** 20;

interface Sample {
  seconds: number;
  created: number;
  welcomed: number;
  worker: number;
  api: number;
  devServer: number;
  postgres: number;
  temporalDb: number;
  load: string;
}
const t0 = Date.now();
const created: number[] = [];
let failures = 0;
const samples: Sample[] = [];
async function sample(): Promise<Sample> {
  const [{ size }] = (await stack.db.execute(
    sql`select pg_database_size(current_database())::float8 as size`,
  )) as unknown as [{ size: number }];
  const s: Sample = {
    seconds: (Date.now() - t0) / 1000,
    created: created.length,
    welcomed: stack.fake.messages.length,
    worker: await rssMiB(workerPid),
    api: await rssMiB(apiPid),
    devServer: devServerPid ? await rssMiB(devServerPid) : NaN,
    postgres: size / 2 ** 20,
    temporalDb:
      (await fileMiB(path.join(stack.dir, TEMPORAL_DB))) +
      (await fileMiB(path.join(stack.dir, `${TEMPORAL_DB}-wal`))),
    load: load().split(' ')[0]!,
  };
  samples.push(s);
  log(
    `${s.seconds.toFixed(0)} s: ${s.created} created, ${s.welcomed} welcomed; RSS worker ${s.worker.toFixed(0)} / api ${s.api.toFixed(0)} / dev server ${s.devServer.toFixed(0)} MiB; postgres ${s.postgres.toFixed(0)} MiB, temporal db ${s.temporalDb.toFixed(0)} MiB; load ${s.load}`,
  );
  return s;
}

try {
  await sample();
  const sampler = setInterval(() => void sample(), SAMPLE_MS);
  // ---- onboarding: POST /members until MEMBERS exist or the time is up
  const stopAt = t0 + MINUTES * 60_000;
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < MEMBERS && Date.now() < stopAt) {
        // Back-pressure: no more than BACKLOG members created and not yet welcomed, so the rate reported is the
        // rate the stack onboards at, not the rate the API accepts requests at.
        if (created.length - stack.fake.messages.length >= BACKLOG) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        const i = next++;
        try {
          await createMember(api, i);
          created.push(i);
        } catch (err) {
          failures += 1;
          if (failures <= 5) log(`member ${i}: ${(err as Error).message.slice(0, 200)}`);
        }
      }
    }),
  );
  const createdSeconds = (Date.now() - t0) / 1000;
  // ---- every welcome at Twilio: then all of them sleep
  for (const deadline = Date.now() + 15 * 60_000; stack.fake.messages.length < created.length;) {
    if (Date.now() > deadline) throw new Error('welcomes still missing after 15 minutes');
    await new Promise((r) => setTimeout(r, 500));
  }
  const welcomedSeconds = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 10_000));
  const asleep = await sample();

  // ---- wake members far outside the cache, one at a time
  created.sort((a, b) => a - b);
  const oldest = created.slice(0, Math.max(1, created.length - 2 * CACHE));
  const chosen = Array.from(
    new Set(
      Array.from(
        { length: Math.min(WAKE, oldest.length) },
        (_, k) => oldest[Math.floor((k * oldest.length) / WAKE)]!,
      ),
    ),
  );
  const wakes: number[] = [];
  for (const i of chosen) {
    const before = stack.fake.byTo(benchPhone(i)).length;
    const t = performance.now();
    const status = await postInbound(stack, api, {
      MessageSid: newMessageSid(),
      From: benchPhone(i),
      To: FROM,
      Body: 'YES',
    });
    if (status !== 200) throw new Error(`webhook answered ${status}`);
    for (const deadline = Date.now() + 60_000; stack.fake.byTo(benchPhone(i)).length <= before;) {
      if (Date.now() > deadline) throw new Error('no confirmation within 60 s');
      await new Promise((r) => setTimeout(r, 5));
    }
    wakes.push(performance.now() - t);
  }
  wakes.sort((a, b) => a - b);
  const awake = await sample();

  const f = (n: number) => n.toFixed(0);
  const peak = (k: 'worker' | 'api' | 'devServer') => Math.max(...samples.map((s) => s[k]));
  console.log(
    [
      '',
      `Command: \`npm run bench -- density --members ${MEMBERS} --minutes ${MINUTES} --cache ${CACHE} --wake ${WAKE} --concurrency ${CONCURRENCY}\``,
      `Machine: ${machine()}; date ${new Date().toISOString()}; load average before ${loadBefore}, after ${load()}`,
      '',
      '| minutes | members created | welcomed (sleeping) | worker RSS MiB | API RSS MiB | dev server RSS MiB | PostgreSQL MiB | Temporal db MiB | load |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...samples.map(
        (s) =>
          `| ${(s.seconds / 60).toFixed(1)} | ${s.created} | ${s.welcomed} | ${f(s.worker)} | ${f(s.api)} | ${f(s.devServer)} | ${f(s.postgres)} | ${f(s.temporalDb)} | ${s.load} |`,
      ),
      '',
      `- sleeping members: ${asleep.welcomed} (${failures} POST /members failed); worker RSS with all asleep ${f(asleep.worker)} MiB, peak ${f(peak('worker'))} MiB; after the wakes ${f(awake.worker)} MiB`,
      `- dev server RSS ${f(asleep.devServer)} MiB (peak ${f(peak('devServer'))}); API ${f(asleep.api)} MiB; PostgreSQL ${f(asleep.postgres)} MiB; Temporal database file ${f(asleep.temporalDb)} MiB`,
      `- onboarding: ${created.length} members through POST /members (${CONCURRENCY} concurrent) in ${createdSeconds.toFixed(0)} s = ${(created.length / createdSeconds).toFixed(1)}/s; every welcome at Twilio after ${welcomedSeconds.toFixed(0)} s = ${(created.length / welcomedSeconds).toFixed(1)}/s`,
      `- wake of a member not in the cache (webhook → confirmation at Twilio), ${wakes.length} one at a time: p50 ${f(percentile(wakes, 0.5))} ms, p99 ${f(percentile(wakes, 0.99))} ms, max ${f(wakes.at(-1)!)} ms`,
    ].join('\n'),
  );
} finally {
  await stack.stop();
}
process.exit(0);
