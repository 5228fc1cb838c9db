/**
 * Density: worker memory against sleeping members, with the workflow cache sized by WORKER_MAX_CACHED_WORKFLOWS,
 * the time to wake a member that is not in the cache, and the onboarding rate — on the real stack (embedded
 * PostgreSQL, Temporal CLI dev server, one worker process and one API process, the fake Twilio).
 *
 *   npm run bench -- density [--members 1000] [--cache 200] [--wake 40]
 *
 * Members are created through `POST /members` (8 concurrent); each texts its welcome and then sleeps (waiting for
 * YES, a reminder timer 24 h out). The worker's resident memory is sampled as members accumulate: it grows while
 * the cache fills and stays flat after, because a sleeping member that is not cached lives only in Temporal's
 * database. Then `--wake` of the oldest members (long evicted) answer YES one at a time: wake time = the signed
 * webhook → the member's confirmation text at Twilio (history replayed on the worker, signal handled, the text
 * sent).
 */
import { parseArgs } from 'node:util';
import {
  benchPhone,
  createMember,
  FROM,
  load,
  log,
  machine,
  percentile,
  pool,
  postInbound,
  rssMiB,
  startStack,
} from './_stack.js';
import { newMessageSid } from '../test/helpers/members.js';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '1000' },
    cache: { type: 'string', default: '200' },
    wake: { type: 'string', default: '40' },
  },
});
const MEMBERS = Number(values.members);
const CACHE = Number(values.cache);
const WAKE = Number(values.wake);
const STEP = Math.max(50, Math.round(MEMBERS / 10));

const loadBefore = load();
const stack = await startStack({
  workers: 1,
  apis: 1,
  workerEnv: { WORKER_MAX_CACHED_WORKFLOWS: String(CACHE) },
});
const api = stack.apis[0]!.url;
const workerPid = stack.workers[0]!.pid!;
const samples: Array<[number, number]> = [[0, await rssMiB(workerPid)]];
try {
  const t0 = Date.now();
  for (let done = 0; done < MEMBERS;) {
    const n = Math.min(STEP, MEMBERS - done);
    await pool(n, 8, async (j) => {
      await createMember(api, done + j);
    });
    done += n;
    for (const deadline = Date.now() + 300_000; stack.fake.messages.length < done && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 200));
    samples.push([done, await rssMiB(workerPid)]);
    log(`${done} members sleeping; worker RSS ${samples.at(-1)![1].toFixed(0)} MiB; load ${load()}`);
  }
  const onboardSeconds = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 5_000));
  const settled = await rssMiB(workerPid);

  // Wake the oldest members, one at a time: none of them is in a cache of CACHE < MEMBERS - WAKE.
  const wakes: number[] = [];
  for (let i = 0; i < Math.min(WAKE, MEMBERS); i++) {
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
      await new Promise((r) => setTimeout(r, 10));
    }
    wakes.push(performance.now() - t);
  }
  wakes.sort((a, b) => a - b);
  const afterWakes = await rssMiB(workerPid);

  const full = samples.find(([n]) => n >= CACHE) ?? samples.at(-1)!;
  const perCached = (full[1] - samples[0]![1]) / Math.max(1, full[0]);
  console.log(
    [
      '',
      `Command: \`npm run bench -- density --members ${MEMBERS} --cache ${CACHE} --wake ${WAKE}\``,
      `Machine: ${machine()}; date ${new Date().toISOString()}; load average before ${loadBefore}, after ${load()}`,
      '',
      `| sleeping members | ${samples.map(([n]) => n).join(' | ')} |`,
      `| --- | ${samples.map(() => '---').join(' | ')} |`,
      `| worker RSS MiB (cache ${CACHE}) | ${samples.map(([, r]) => r.toFixed(0)).join(' | ')} |`,
      '',
      `- RSS settled with ${MEMBERS} sleeping: ${settled.toFixed(0)} MiB; after ${wakes.length} wakes: ${afterWakes.toFixed(0)} MiB`,
      `- about ${perCached.toFixed(2)} MiB per cached workflow while the cache fills (0 → ${full[0]} members)`,
      `- wake of a member not in the cache (webhook → confirmation at Twilio), one at a time: p50 ${percentile(wakes, 0.5).toFixed(0)} ms, p99 ${percentile(wakes, 0.99).toFixed(0)} ms, max ${wakes.at(-1)!.toFixed(0)} ms`,
      `- onboarding: ${MEMBERS} members through POST /members (8 concurrent) with welcomes at Twilio in ${onboardSeconds.toFixed(0)} s = ${(MEMBERS / onboardSeconds).toFixed(1)}/s`,
    ].join('\n'),
  );
} finally {
  await stack.stop();
}
process.exit(0);
