/**
 * The big test: a 30-day crew challenge on the time-skipping server with the real member workflows and
 * the real crew challenge workflows, over activity fakes (typed against the real ones) that record every text
 * and answer it the way each member's script says — the phones.
 *
 * 8 members in 3 zones (Berlin and New York both change to summer time during the challenge, Tokyo does not),
 * a member who joins on day 10 and one who leaves on day 20, silent days, a late "yesterday Y", a member paused
 * for a week (no check-in: the crew asks on its own at its 19:00), and a member in two crews. Asserted: the
 * exact question text each phone got on each local day (exactly one, the crews riding on the check-in), the
 * pulses published and withheld, the milestones (once each, one text per member), the leaderboard, the group
 * goal, the self-close instant and the summary.
 */
import { Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import type { createActivities } from '../../activities/index.js';
import type { RecordDayInput } from '../../activities/members.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import {
  challengeStateQuery,
  contributeUpdate,
  joinChallengeSignal,
  leaderboardAliasUpdate,
  leaderboardQuery,
  leaveChallengeSignal,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import { milestoneText, pulseText, summaryText } from '../../workflows/crew-challenge/texts.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { addDays, localDate, zonedTimeToUtc } from '../../workflows/lib/time.js';
import { preferencesSignal, replySignal } from '../../workflows/member/definitions.js';
import {
  crewAckText,
  crewOnlyText,
  lateAckText,
  PROMPT_TEXT,
  promptWithCrewsText,
} from '../../workflows/member/texts.js';
import { memberWorkflow } from '../../workflows/member/workflow.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers } from '../helpers/temporal.js';
import { withSmsBatch } from '../helpers/sms-batch.js';

const BERLIN = 'Europe/Berlin';
const NY = 'America/New_York';
const TOKYO = 'Asia/Tokyo';
const START = '2027-03-10'; // New York changes to EDT on 14 March, Berlin to CEST on 28 March
const WALK = { id: 'c30-a-walk', title: 'Walk 10 minutes', days: 30 };
const READ = { id: 'c30-b-read', title: 'Read 20 pages', days: 7, start: '2027-03-12' };

const ZONES: Record<string, string> = {
  m1: BERLIN,
  m2: BERLIN,
  m3: BERLIN,
  m4: NY,
  m5: NY,
  m6: NY,
  m7: TOKYO,
  m8: TOKYO,
};
const CHECK_IN: Record<string, string> = { m7: '07:00' }; // everyone else at 20:00
const PAUSED_THROUGH = { m5: '2027-03-16' } as const;
const JOIN = { memberId: 'm8', at: '2027-03-19T12:00:00Z' }; // 21:00 in Tokyo: after its check-in, day 10
const LEAVE = { memberId: 'm6', at: '2027-03-29T12:00:00Z' }; // 08:00 in New York, day 20

/** 0-based challenge day of a local date. */
const dayOf = (date: string) => Math.round((Date.parse(date) - Date.parse(START)) / 86_400_000);

/** What each phone answers to its question text of `date` (in order); [] = silent. */
function script(memberId: string, date: string): string[] {
  const d = dayOf(date);
  if (d < 0 || d >= WALK.days) return ['Y'];
  switch (memberId) {
    case 'm2': // in two crews: walks every day, but did not read on the even days of the reading challenge
      return readDays(date) && d % 2 === 0 ? ['Y 4 B N'] : ['Y 4'];
    case 'm3':
      if (d === 12) return [];
      return d === 13 ? ['yesterday Y', 'Y 4'] : ['Y 4'];
    case 'm4':
      if (d <= 2 || d === 15) return [];
      return d === 5 ? ['N 2'] : ['Y 3'];
    case 'm5':
      return ['Y 3'];
    case 'm6':
      return d <= 1 ? [] : ['Y 5'];
    case 'm7':
      return d <= 1 ? [] : ['Y 4'];
    default:
      return ['Y 4'];
  }
}
const readDays = (date: string) => date >= READ.start && date < addDays(READ.start, READ.days);

/** The walk answer the challenge should count for a member's day (from the script), or null. */
function walkAnswer(memberId: string, d: number): { done: boolean; energy: number | null } | null {
  if (memberId === 'm8' && d < 10) return null; // joined on day 10 (not asked that day)
  if (memberId === 'm6' && d >= 19) return null; // left on day 20 before being asked
  if (memberId === 'm3' && d === 12) return { done: true, energy: null }; // the late "yesterday Y"
  const reply = script(memberId, addDays(START, d)).at(-1); // m3's "Y 4" after its "yesterday Y"
  if (!reply) return null;
  return { done: reply.startsWith('Y'), energy: Number(reply.split(' ')[1]) };
}

interface Sent extends SendSmsInput {
  memberId: string;
  at: string;
}
const sent: Sent[] = [];
let inboundSeq = 0;
const scheduledAt = () => Context.current().info.currentAttemptScheduledTimestampMs;

const activities = withSmsBatch({
  /** A phone: records the text, then answers a question text as its script says (signalled like routing does). */
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    const memberId = 'memberId' in input.to ? input.to.memberId : '';
    if (sent.some((s) => s.idempotencyKey === input.idempotencyKey))
      return { outcome: 'already_sent', messageId: 0, providerSid: null };
    const atMs = scheduledAt();
    sent.push({ ...input, memberId, at: `${new Date(atMs).toISOString().slice(0, 16)}Z` });
    if (input.kind === 'checkin_prompt' || input.kind === 'crew_ask') {
      const handle = t.env.client.workflow.getHandle(memberWorkflowId(memberId));
      for (const body of script(memberId, localDate(atMs, ZONES[memberId]!)))
        await handle.signal(replySignal, {
          inboundId: ++inboundSeq,
          body,
          receivedAtMs: atMs,
          accepts: input.expectReply?.accepts,
          memberId,
        });
    }
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
  async recordDay(_input: RecordDayInput): Promise<void> {},
  async writeMotivation(input: { streak: number }) {
    return { source: 'template' as const, prompt: 'motivation.template@1', text: `Streak ${input.streak}.` };
  },
  async writeWeeklySummary(input: { done: number; due: number }) {
    return { source: 'template' as const, prompt: 'weekly.template@1', text: `${input.done}/${input.due}.` };
  },
  async moderateReflection() {
    return { shareable: true, source: 'openai' as const, categories: [] };
  },
  async storeCrewReflection() {
    return { stored: false as const, reason: 'no_consent' as const };
  },
  async storeGoal(): Promise<void> {},
  async recordRiskChange(): Promise<void> {},
  async setMemberStatus(): Promise<void> {},
} satisfies Partial<ReturnType<typeof createActivities>>);

const t = timeSkippingWorkers(activities);

const QUESTION_KINDS = ['checkin_prompt', 'crew_ask'];
const questionsOf = (memberId: string) =>
  sent.filter((s) => s.memberId === memberId && QUESTION_KINDS.includes(s.kind));
const textsOf = (memberId: string, kind: string) =>
  sent.filter((s) => s.memberId === memberId && s.kind === kind);
/** `date hh:mm` in tz as the minute the fake records ("2027-03-14T01:00Z"). */
const zoned = (date: string, hhmm: string, tz: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return `${new Date(zonedTimeToUtc(date, h, m, tz)).toISOString().slice(0, 16)}Z`;
};

/** Whether a member is in the walk crew on a local date, as the scenario has it. */
const inWalk = (m: string, date: string) => {
  const d = dayOf(date);
  if (d < 0 || d >= WALK.days) return false;
  if (m === 'm8') return d >= 10;
  if (m === 'm6') return d < 19;
  return true;
};
const inRead = (m: string, date: string) => ['m2', 'm3', 'm7'].includes(m) && readDays(date);

/** The one question text a phone should get on a local date, and when. */
function expectedQuestion(m: string, date: string): { at: string; body: string; kind: string } {
  const crews = [...(inWalk(m, date) ? [WALK.title] : []), ...(inRead(m, date) ? [READ.title] : [])];
  const paused = m in PAUSED_THROUGH && date <= PAUSED_THROUGH[m as keyof typeof PAUSED_THROUGH];
  if (paused) return { at: zoned(date, '19:00', ZONES[m]!), body: crewOnlyText(crews), kind: 'crew_ask' };
  return {
    at: zoned(date, CHECK_IN[m] ?? '20:00', ZONES[m]!),
    body: crews.length ? promptWithCrewsText([{ id: 0, title: '' }], crews) : PROMPT_TEXT,
    kind: 'checkin_prompt',
  };
}

describe('a 30-day crew challenge: one text per member per day', () => {
  it('8 members, 3 zones, DST, a join and a leave, silent and late answers, a member in two crews', async () => {
    await skipTo(t.env, '2027-03-09T12:00:00Z');
    const members = Object.keys(ZONES);
    const handles = Object.fromEntries(
      await Promise.all(
        members.map(
          async (m) =>
            [
              m,
              await t.env.client.workflow.start(memberWorkflow, {
                taskQueue: TASK_QUEUE,
                workflowId: memberWorkflowId(m),
                args: [
                  {
                    memberId: m,
                    timezone: ZONES[m]!,
                    checkInTime: CHECK_IN[m] ?? '20:00',
                    nudgeAfterMinutes: 0,
                  },
                ],
              }),
            ] as const,
        ),
      ),
    );
    await handles.m5!.signal(preferencesSignal, { pausedUntil: PAUSED_THROUGH.m5 });

    const challenge = (
      c: { id: string; title: string; days: number },
      start: string,
      ids: string[],
      min: number,
    ) =>
      t.env.client.workflow.start(crewChallengeWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: crewChallengeWorkflowId(c.id),
        args: [
          {
            challengeId: c.id,
            crewId: `crew-${c.id}`,
            title: c.title,
            days: c.days,
            startDate: start,
            timezone: TOKYO, // the start gate at Tokyo's midnight: before anyone's first question
            minSize: min,
            k: 5,
            members: ids.map((memberId) => ({ memberId, timezone: ZONES[memberId]! })),
            ...(c === WALK && { goal: { unit: 'km', target: 20 } }),
          } satisfies CrewChallengeInput,
        ],
      });
    const walk = await challenge(WALK, START, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7'], 5);
    const read = await challenge(READ, READ.start, ['m2', 'm3', 'm7'], 3);

    // Day 6: three members opt in to the leaderboard; contributions to the group goal, one sent twice at once.
    await skipTo(t.env, '2027-03-15T12:00:00Z');
    for (const [memberId, alias] of [
      ['m1', 'Bear'],
      ['m2', 'Fox'],
      ['m6', 'Owl'],
    ] as const)
      await walk.executeUpdate(leaderboardAliasUpdate, { args: [{ memberId, alias }] });
    await walk.executeUpdate(contributeUpdate, { args: [{ memberId: 'm1', amount: 5, key: 'api:1' }] });
    const twice = await Promise.all(
      [1, 2].map(() =>
        walk.executeUpdate(contributeUpdate, { args: [{ memberId: 'm2', amount: 7, key: 'api:2' }] }),
      ),
    );
    expect(twice.map((r) => r.counted).sort()).toEqual([false, true]);
    await walk.executeUpdate(contributeUpdate, { args: [{ memberId: 'm6', amount: 3, key: 'api:3' }] });

    await skipTo(t.env, JOIN.at);
    await walk.signal(joinChallengeSignal, { memberId: JOIN.memberId, timezone: ZONES[JOIN.memberId]! });
    await skipTo(t.env, '2027-03-22T12:00:00Z');
    const reached = await walk.executeUpdate(contributeUpdate, {
      args: [{ memberId: 'm1', amount: 6, key: 'api:4' }],
    });
    expect(reached).toMatchObject({ counted: true, total: 21, target: 20, reached: true });
    await skipTo(t.env, LEAVE.at);
    await walk.signal(leaveChallengeSignal, { memberId: LEAVE.memberId });

    // One result at a time: each result() call unlocks and re-locks the server's time skipping.
    const readEnd = await read.result();
    const walkEnd = await walk.result();

    // ---- one question text per member per local day, exactly as expected, at the expected instant ----------
    for (const m of members) {
      const got = questionsOf(m).map((s) => ({
        date: localDate(Date.parse(s.at), ZONES[m]!),
        at: s.at,
        body: s.body,
        kind: s.kind,
      }));
      for (let d = 0; d < WALK.days; d++) {
        const date = addDays(START, d);
        const onDay = got.filter((g) => g.date === date);
        expect(onDay, `${m} on ${date}`).toEqual([{ date, ...expectedQuestion(m, date) }]);
      }
    }
    // New York's 20:00 moves from 01:00Z to 00:00Z on 14 March; Berlin's from 19:00Z to 18:00Z on 28 March.
    expect(
      questionsOf('m4')
        .filter((s) => s.at.startsWith('2027-03-14') || s.at.startsWith('2027-03-15'))
        .map((s) => s.at),
    ).toEqual(['2027-03-14T01:00Z', '2027-03-15T00:00Z']);
    expect(questionsOf('m1').find((s) => s.at.startsWith('2027-03-28'))!.at).toBe('2027-03-28T18:00Z');

    // ---- the answers to the texts: crew-only replies get the crew ack; the late one its late ack -------------
    expect(textsOf('m5', 'crew_ack').map((s) => s.body)).toEqual(
      Array.from({ length: 7 }, () => crewAckText([{ title: WALK.title, done: true }])),
    );
    // m3's streak: 13 days to 21 March, 22 March missed, restored by the late answer: 14.
    expect(textsOf('m3', 'late_ack').map((s) => s.body)).toEqual([lateAckText(true, 14)]);

    // ---- the walk crew's pulses: published with k = 5 answers, withheld below --------------------------------
    const current = (m: string, d: number) => walkAnswer(m, d) !== null;
    const expectedPulses = Array.from({ length: WALK.days }, (_, d) => {
      const answers = members.filter((m) => current(m, d)).map((m) => walkAnswer(m, d)!);
      if (answers.length < 5) return { day: d + 1, published: false, figures: null, suppressed: 'below_k' };
      const energies = answers.filter((a) => a.energy !== null).map((a) => a.energy!);
      return {
        day: d + 1,
        published: true,
        figures: {
          responded: answers.length,
          done: answers.filter((a) => a.done).length,
          energyCount: energies.length,
          energySum: energies.reduce((x, y) => x + y, 0),
        },
        suppressed: null,
      };
    });
    expect(walkEnd.pulses).toEqual(expectedPulses);
    expect(walkEnd.pulses.filter((p) => !p.published).map((p) => p.day)).toEqual([1, 2]);
    // The reading crew has 3 members: every pulse withheld, the member in two crews answered both in one text.
    expect(readEnd.pulses.map((p) => p.suppressed)).toEqual(Array(7).fill('below_k'));

    // Each phone got a pulse text for every published day decided while it was in the crew.
    const pulseDays = (m: string) =>
      textsOf(m, 'crew_pulse').map((s) => Number(/day (\d+)/.exec(s.body)![1]));
    const published = expectedPulses.filter((p) => p.published).map((p) => p.day);
    expect(pulseDays('m1')).toEqual(published);
    expect(pulseDays('m8')).toEqual(published.filter((d) => d >= 9)); // day 9's pulse closes after the join
    expect(pulseDays('m6')).toEqual(published.filter((d) => d <= 18)); // day 19's closes after the leave
    const day3 = expectedPulses[2]!;
    expect(textsOf('m1', 'crew_pulse')[0]!.body).toBe(pulseText(WALK.title, 3, day3.figures!));

    // ---- milestones: each once, in order, one text per member then in the crew ---------------------------------
    expect(walkEnd.milestones.map((m) => m.id)).toEqual([
      'streak:7',
      'checkins:50',
      'goal',
      'checkins:100',
      'streak:14',
    ]);
    for (const m of members) {
      const texts = textsOf(m, 'crew_milestone').map((s) => s.body);
      expect(texts, m).toEqual(
        walkEnd.milestones.map((x) => milestoneText(WALK.title, x.id, { unit: 'km', target: 20 })),
      );
    }

    // ---- group goal and leaderboard: the duplicate counted once; the leaver's row gone, nobody else's changed -
    expect(walkEnd.goal).toMatchObject({ total: 21, target: 20, unit: 'km' });
    const board = await walk.query(leaderboardQuery);
    expect(board.map((r) => [r.rank, r.alias, r.total])).toEqual([
      [1, 'Bear', 11],
      [2, 'Fox', 7],
    ]);

    // ---- self-close: the end of 8 April in New York (the last zone) plus the 24 h grace; then the summary -----
    expect(walkEnd.endsAt).toBe('2027-04-10T04:00:00.000Z');
    expect(walkEnd.status).toBe('completed');
    const done = expectedPulses.filter((p) => p.published).reduce((n, p) => n + p.figures!.done, 0);
    // Days 1–2 were withheld (4 members): the summary counts the published days only, "at least".
    const summary = summaryText(WALK.title, WALK.days, {
      done,
      responded: 0,
      atLeast: true,
      publishedDays: 28,
    });
    expect(walkEnd.summary).toBe(summary);
    for (const m of members.filter((x) => x !== 'm6')) {
      expect(
        textsOf(m, 'crew_summary').map((s) => [s.at, s.body]),
        m,
      ).toContainEqual(['2027-04-10T04:00Z', summary]);
    }
    expect(textsOf('m6', 'crew_summary').filter((s) => s.body === summary)).toEqual([]);
    expect(readEnd.endsAt).toBe('2027-03-19T23:00:00.000Z');
    expect((await walk.query(challengeStateQuery)).status).toBe('completed');

    await captureHistory('crew-challenge-30-day', walk);
    await captureHistory('member-crew-prompts', handles.m2!);
  }, 600_000);
});
