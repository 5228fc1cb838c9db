/**
 * Mentorship cascade latency: the time from a mentor's decline (the `answerOffer` update, as the API sends it)
 * to the next candidate's offer text reaching the SMS activity, on the Temporal CLI dev server with the real
 * match and mentor workflows and the production worker setup (in this process), over in-memory activities
 * (ranking, offer rows and the SMS send are fakes: this measures the workflow cascade, not Postgres or Twilio).
 *
 *   npm run bench -- mentorship                      # 200 matches, 20 at a time
 *   npm run bench -- mentorship --matches 500 --concurrency 50
 *
 * Prints p50 / p99 / max in milliseconds. Results go to BENCHMARKS.md by hand, with the command and the machine.
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { SendSmsInput, SendSmsResult } from '../activities/messaging.js';
import { temporalCliExecutable } from '../scripts/tools.js';
import { createWorkers } from '../worker/worker.js';
import { mentorshipMatchWorkflowId, mentorWorkflowId, TASK_QUEUE } from '../workflows/ids.js';
import { mentorWorkflow } from '../workflows/mentor/workflow.js';
import { answerOfferUpdate, type Candidate } from '../workflows/mentorship-match/definitions.js';
import { mentorshipMatchWorkflow } from '../workflows/mentorship-match/workflow.js';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes.js';

const { values } = parseArgs({
  options: {
    matches: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '20' },
  },
});
const MATCHES = Number(values.matches);
const CONCURRENCY = Number(values.concurrency);

/** key → resolve: the bench waits for the send whose idempotency key it expects. */
const waiting = new Map<string, (atMs: number) => void>();
const seen = new Map<string, number>();
const candidate = (mentorId: string, score: number): Candidate => ({
  mentorId,
  mentorMemberId: `member-of-${mentorId}`,
  mentorTimezone: 'UTC',
  score,
  breakdown: { focus: score, language: 1, schedule: 1, timezone: 1, load: 1 },
  weightsVersion: 'default@1',
});
const activities = {
  async rankMentorsForMatch(input: { matchId: string }) {
    return [candidate(`a-${input.matchId}`, 0.9), candidate(`b-${input.matchId}`, 0.8)];
  },
  // The optimiser re-match of the pool (test/workflows/mentorship-optimiser.test.ts): nothing fits here.
  async optimiseForMatch() {
    return { candidate: null, reason: 'optimiser: nothing fits' };
  },
  async recordOffer() {},
  async setMatchStatus() {},
  async reserveMentorSlot() {
    return { reserved: true };
  },
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    const at = performance.now();
    seen.set(input.idempotencyKey, at);
    waiting.get(input.idempotencyKey)?.(at);
    return { outcome: 'sent', messageId: 1, providerSid: 'SM1' };
  },
};
const sendOf = (key: string): Promise<number> =>
  seen.has(key) ? Promise.resolve(seen.get(key)!) : new Promise((resolve) => waiting.set(key, resolve));

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function main() {
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: await temporalCliExecutable(),
      ip: '127.0.0.1',
      extraArgs: ['--log-level', 'error'],
      searchAttributes: [...SEARCH_ATTRIBUTES],
    },
  });
  const workers = await createWorkers({ connection: env.nativeConnection, activities, smsPerSecond: 1000 });
  const running = workers.run();
  const client = env.client;
  const latencies: number[] = [];

  async function one(i: number) {
    const matchId = `bench-${i}`;
    // Mentors exist, as in production (the match tells them of offers); the accept never reaches them here.
    for (const id of [`a-${matchId}`, `b-${matchId}`])
      await client.workflow.start(mentorWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: mentorWorkflowId(id),
        args: [{ mentorId: id, capacity: 1 }],
      });
    const match = await client.workflow.start(mentorshipMatchWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: mentorshipMatchWorkflowId(matchId),
      args: [{ matchId, menteeMemberId: `mentee-${i}`, shareRisk: false }],
    });
    await sendOf(`mentorship-match:${matchId}:offer:a-${matchId}`);
    const next = sendOf(`mentorship-match:${matchId}:offer:b-${matchId}`);
    const t0 = performance.now();
    await match.executeUpdate(answerOfferUpdate, { args: [{ mentorId: `a-${matchId}`, accept: false }] });
    latencies.push((await next) - t0);
    await match.terminate();
    for (const id of [`a-${matchId}`, `b-${matchId}`])
      await client.workflow.getHandle(mentorWorkflowId(id)).terminate();
  }

  let nextIndex = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (nextIndex < MATCHES) await one(nextIndex++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `mentorship cascade (decline → next offer sent), ${MATCHES} matches, ${CONCURRENCY} at a time, ` +
      `${seconds.toFixed(1)} s; machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ` +
      `${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  console.log(
    `p50 ${pct(sorted, 0.5).toFixed(0)} ms, p99 ${pct(sorted, 0.99).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`,
  );
  workers.shutdown();
  await running;
  await env.teardown();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
