/**
 * One crew day at scale (issue 9): C crews × M members on the Temporal CLI dev server, with the production
 * worker and API as their own processes (bench/_stack.ts), embedded PostgreSQL and the fake Twilio on loopback.
 *
 *   npm run bench -- crews                                   # 200 crews × 10 members, prompts and answers
 *   npm run bench -- crews --crews 5 --members 10            # a smoke run
 *   npm run bench -- crews --pulses                          # also the day's pulses (waits for a local midnight)
 *
 * Members are rows in Postgres without member workflows of their own, so each challenge asks them itself (the
 * `crewQuestions` signal finds no member workflow): the load is the challenge workflows'. Challenges are started
 * as the API starts them (same input and search attributes), with a prompt time one or two minutes ahead.
 *
 * 1. Prompts: every member's question (`crew_ask`) at the prompt time; prompts/s = questions at Twilio / the
 *    seconds from the first to the last.
 * 2. Answers: every member answers (the `answer` update, as `POST /challenges/:id/answers` sends it), 50 at a
 *    time; answers/s.
 * 3. Pulses (`--pulses`): a day's pulse is decided 24 h after the day ended for its last member, so a second set
 *    of C challenges runs in a zone where that moment is the next local midnight (a zone with a :00, :30 or :45
 *    offset, at least `--lead` minutes ahead): their day was yesterday, every member answers it late (inside the
 *    grace), and the bench measures from that midnight to the last pulse text at Twilio.
 *
 * History events per member-day: each challenge's history length / its members (one day). Worker memory: the
 * worker process's peak resident memory (VmRSS, sampled every 500 ms). Results go to BENCHMARKS.md by hand.
 */
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { members } from '../db/schema.js';
import { answerUpdate, type CrewChallengeInput } from '../workflows/crew-challenge/definitions.js';
import {
  CHALLENGE_MEMBER_IDS_SA,
  CHALLENGE_STATUS_SA,
  CREW_ID_SA,
} from '../workflows/crew-challenge/search-attributes.js';
import { askText } from '../workflows/crew-challenge/texts.js';
import { crewChallengeWorkflow } from '../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, TASK_QUEUE } from '../workflows/ids.js';
import { load, log, machine, pool, rssSampler, startStack, type Stack } from './_stack.js';
import { noonZone } from '../test/helpers/zones.js';

const { values } = parseArgs({
  options: {
    crews: { type: 'string', default: '200' },
    members: { type: 'string', default: '10' },
    pulses: { type: 'boolean', default: false },
    lead: { type: 'string', default: '4' },
  },
});
const CREWS = Number(values.crews);
const MEMBERS = Number(values.members);
const LEAD_MIN = Number(values.lead);
const TITLE = 'Walk';

const localParts = (zone: string, at: Date) => {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: string) => f.find((p) => p.type === t)!.value;
  return { date: `${get('year')}-${get('month')}-${get('day')}`, hm: `${get('hour')}:${get('minute')}` };
};

/** Zones with whole, half and three-quarter hour offsets: the next local midnight somewhere is ≤ 30 min away. */
const MIDNIGHT_ZONES = [
  ...Array.from({ length: 27 }, (_, i) => i - 12).map((o) =>
    o === 0 ? 'Etc/UTC' : o > 0 ? `Etc/GMT-${o}` : `Etc/GMT+${-o}`,
  ),
  'Asia/Kolkata',
  'Asia/Kathmandu',
  'Australia/Eucla',
  'America/St_Johns',
  'Pacific/Marquesas',
  'Asia/Tehran',
  'Asia/Kabul',
  'Asia/Yangon',
  'Australia/Darwin',
  'Australia/Adelaide',
  'Pacific/Chatham',
];

/** The zone whose next local midnight is the soonest at least `leadMs` ahead, and that instant. */
function nextMidnightZone(leadMs: number, now = Date.now()): { zone: string; atMs: number } {
  let best: { zone: string; atMs: number } | null = null;
  for (const zone of MIDNIGHT_ZONES) {
    // Walk forward minute by minute to the next 00:00 local (at most a day).
    const start = Math.ceil((now + leadMs) / 60_000) * 60_000;
    for (let t = start; t < start + 86_400_000; t += 60_000)
      if (localParts(zone, new Date(t)).hm === '00:00') {
        if (!best || t < best.atMs) best = { zone, atMs: t };
        break;
      }
  }
  return best!;
}

const phoneOf = (i: number) => `+1415${String(4_000_000 + i).padStart(7, '0')}`;

async function createMembers(stack: Stack, from: number, n: number, zone: string): Promise<string[]> {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: crypto.randomUUID(),
    name: `Bench ${from + i}`,
    phone: phoneOf(from + i),
    timezone: zone,
    checkInTime: '07:00',
  }));
  for (let k = 0; k < rows.length; k += 1_000)
    await stack.db.insert(members).values(rows.slice(k, k + 1_000));
  return rows.map((r) => r.id);
}

async function startChallenges(
  client: Client,
  prefix: string,
  memberIds: string[],
  input: Pick<CrewChallengeInput, 'startDate' | 'timezone' | 'promptTime'>,
) {
  const handles = [];
  for (let c = 0; c < CREWS; c++) {
    const ids = memberIds.slice(c * MEMBERS, (c + 1) * MEMBERS);
    const challengeId = `${prefix}-${c}`;
    handles.push(
      await client.workflow.start(crewChallengeWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: crewChallengeWorkflowId(challengeId),
        args: [
          {
            challengeId,
            crewId: `crew-${prefix}-${c}`,
            title: TITLE,
            days: 1,
            minSize: Math.min(MEMBERS, 5),
            k: 5,
            members: ids.map((memberId) => ({ memberId, timezone: input.timezone })),
            goal: null,
            ...input,
          },
        ],
        typedSearchAttributes: [
          { key: CREW_ID_SA, value: `crew-${prefix}-${c}` },
          { key: CHALLENGE_STATUS_SA, value: 'gathering' },
          { key: CHALLENGE_MEMBER_IDS_SA, value: [...ids].sort() },
        ],
      }),
    );
  }
  return handles;
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function answerAll(
  client: Client,
  handles: Awaited<ReturnType<typeof startChallenges>>,
  memberIds: string[],
  localDate: string,
): Promise<number> {
  const t0 = performance.now();
  await pool(CREWS * MEMBERS, 50, async (i) => {
    const c = Math.floor(i / MEMBERS);
    await client.workflow.getHandle(handles[c]!.workflowId).executeUpdate(answerUpdate, {
      args: [{ memberId: memberIds[i]!, localDate, done: i % 3 !== 0, energy: (i % 5) + 1 }],
    });
  });
  return (performance.now() - t0) / 1000;
}

async function eventsPerMemberDay(client: Client, handles: Awaited<ReturnType<typeof startChallenges>>) {
  let events = 0;
  for (const h of handles) events += (await client.workflow.getHandle(h.workflowId).describe()).historyLength;
  return events / (handles.length * MEMBERS);
}

/** Where one challenge's events go: its history's events by type, per member (the first challenge of a set). */
async function eventsByType(client: Client, workflowId: string): Promise<string> {
  const { events } = JSON.parse(
    historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory()),
  ) as {
    events: Array<{ eventType: string }>;
  };
  const byType = new Map<string, number>();
  for (const e of events) {
    const type = e.eventType.replace(/^EVENT_TYPE_/, '');
    byType.set(type, (byType.get(type) ?? 0) + 1);
  }
  return [...byType]
    .sort((a, b) => b[1] - a[1])
    .map(([type, n]) => `${type} ${(n / MEMBERS).toFixed(1)}`)
    .join(', ');
}

async function main() {
  log(`crews: ${CREWS} crews × ${MEMBERS} members; machine: ${machine()}; load ${load()}`);
  const stack = await startStack({ workers: 1, apis: 0 });
  const worker = stack.workers[0]!;
  const rss = rssSampler(() => [worker.pid!]);
  const client = new Client({ connection: stack.env.connection });
  const atTwilio = (body: string) => stack.fake.messages.filter((m) => m.body === body);
  try {
    // 1. Prompts: the question at the prompt time, two minutes ahead (the starts come first).
    const zoneA = noonZone();
    const idsA = await createMembers(stack, 0, CREWS * MEMBERS, zoneA);
    const promptAt = new Date(Math.ceil((Date.now() + 120_000) / 60_000) * 60_000);
    const { date: todayA, hm } = localParts(zoneA, promptAt);
    const t0 = performance.now();
    const handlesA = await startChallenges(client, 'day', idsA, {
      startDate: todayA,
      timezone: zoneA,
      promptTime: hm,
    });
    log(
      `${CREWS} challenges started in ${((performance.now() - t0) / 1000).toFixed(1)} s; prompt at ${hm} ${zoneA}`,
    );
    const ask = askText(TITLE, 1, 1);
    const total = CREWS * MEMBERS;
    await until('every question at Twilio', () => atTwilio(ask).length >= total, 30 * 60_000);
    const asks = atTwilio(ask).map((m) => m.createdAt.getTime());
    const askSpan = (Math.max(...asks) - Math.min(...asks)) / 1000;
    const promptsLine =
      `prompts: ${total} questions, first ${((Math.min(...asks) - promptAt.getTime()) / 1000).toFixed(1)} s after ` +
      `the prompt time, last ${((Math.max(...asks) - promptAt.getTime()) / 1000).toFixed(1)} s after; ` +
      `${(total / Math.max(askSpan, 0.001)).toFixed(0)} prompts/s`;
    log(promptsLine);

    // 2. Answers: every member, by the answer update.
    const answerSeconds = await answerAll(client, handlesA, idsA, todayA);
    const answersLine = `answers: ${total} in ${answerSeconds.toFixed(1)} s, ${(total / answerSeconds).toFixed(0)} answers/s`;
    log(answersLine);
    const eventsA = await eventsPerMemberDay(client, handlesA);
    log(
      `history events per member-day so far (start, question, answer; no pulse yet): ${eventsA.toFixed(2)}`,
    );
    log(
      `per member by type (${handlesA[0]!.workflowId}): ${await eventsByType(client, handlesA[0]!.workflowId)}`,
    );

    // 3. Pulses: challenges whose day closes at the next local midnight somewhere.
    let pulseLine = 'pulses: not run (add --pulses)';
    let eventsB = NaN;
    if (values.pulses) {
      const { zone: zoneB, atMs } = nextMidnightZone(LEAD_MIN * 60_000);
      const yesterday = localParts(zoneB, new Date(atMs - 36 * 3_600_000)).date;
      log(`pulse phase: zone ${zoneB}, day ${yesterday} closes at ${new Date(atMs).toISOString()}`);
      const idsB = await createMembers(stack, total, total, zoneB);
      const handlesB = await startChallenges(client, 'pulse', idsB, {
        startDate: yesterday,
        timezone: zoneB,
      });
      const s = await answerAll(client, handlesB, idsB, yesterday);
      log(`late answers for ${yesterday}: ${total} in ${s.toFixed(1)} s`);
      if (Date.now() > atMs) throw new Error('the answers took longer than the lead: raise --lead');
      const pulses = () =>
        stack.fake.messages.filter((m) => m.body.startsWith(`Crew pulse, day 1 of "${TITLE}"`));
      await until(
        'every pulse text at Twilio',
        () => pulses().length >= total,
        atMs - Date.now() + 30 * 60_000,
      );
      const last = Math.max(...pulses().map((m) => m.createdAt.getTime()));
      const first = Math.min(...pulses().map((m) => m.createdAt.getTime()));
      pulseLine =
        `pulses: ${CREWS} crews' pulses (${total} texts) from the close: first ${((first - atMs) / 1000).toFixed(1)} s, ` +
        `last ${((last - atMs) / 1000).toFixed(1)} s`;
      log(pulseLine);
      await until(
        'every challenge completed',
        async () => {
          for (const h of handlesB)
            if ((await client.workflow.getHandle(h.workflowId).describe()).status.name === 'RUNNING')
              return false;
          return true;
        },
        10 * 60_000,
      );
      eventsB = await eventsPerMemberDay(client, handlesB);
      log(
        `history events per member-day of a whole 1-day challenge (start, late answer, pulse, summary): ${eventsB.toFixed(2)}`,
      );
      log(
        `per member by type (${handlesB[0]!.workflowId}): ${await eventsByType(client, handlesB[0]!.workflowId)}`,
      );
    }
    rss.stop();
    console.log(
      [
        `crews: ${CREWS} × ${MEMBERS} members, dev server, 1 worker process; ${machine()}; load ${load()}`,
        promptsLine,
        answersLine,
        pulseLine,
        `history events per member-day: ${eventsA.toFixed(2)} (question + answer, before the pulse)` +
          (Number.isNaN(eventsB)
            ? ''
            : `; ${eventsB.toFixed(2)} (a whole 1-day challenge with its pulse and summary)`),
        `worker peak RSS ${rss.peak(worker.pid!).toFixed(0)} MiB`,
      ].join('\n'),
    );
  } finally {
    rss.stop();
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
