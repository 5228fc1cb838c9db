/**
 * The weekly challenge text and the end summary's narrative (issue 9) on the time-skipping server, with fakes
 * typed against the real activities: on the crew's Monday morning (09:00 in the crew's zone) every current member
 * gets one weekly challenge text, in the crew's tone, inside their 08:00–21:00 window, written once by the AI
 * layer; at the end the summary's figures (from the workflow) are followed by the narrative the AI layer worded
 * from exactly those figures. A challenge started without a tone (a run from before crews had one) sends neither.
 */
import { describe, expect, it } from 'vitest';
import type { AiActivities } from '../../activities/ai/index.js';
import {
  answerUpdate,
  challengeStateQuery,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import { ASK_WINDOW } from '../../workflows/crew-challenge/sms.js';
import { summaryWithNarrativeText, weeklyText } from '../../workflows/crew-challenge/texts.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { crewChallengeWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';
import { fakeOutbox, memberIdOf, withSmsBatch } from '../helpers/sms-batch.js';

type Ai = Pick<AiActivities, 'writeCrewWeeklyChallenge' | 'writeCrewSummaryNarrative'>;

const outbox = fakeOutbox((input) => ({
  key: input.idempotencyKey,
  memberId: memberIdOf(input),
  kind: input.kind,
  body: input.body,
  window: input.window,
}));
const { sent } = outbox;
const weeklyCalls: Parameters<Ai['writeCrewWeeklyChallenge']>[0][] = [];
const narrativeCalls: Parameters<Ai['writeCrewSummaryNarrative']>[0][] = [];
const ai: Ai = {
  async writeCrewWeeklyChallenge(input) {
    weeklyCalls.push(input);
    return {
      source: 'openai',
      prompt: 'crew_weekly_challenge@1',
      text: `take it ${input.tone}ly, week ${input.week}`,
    };
  },
  async writeCrewSummaryNarrative(input) {
    narrativeCalls.push(input);
    return { source: 'openai', prompt: 'crew_summary_narrative@1', text: `A ${input.tone} ending.` };
  },
};
const activities = withSmsBatch({ ...ai, sendSms: outbox.sendSms });

const t = timeSkippingWorkers(activities);
const london = 'Europe/London';
const ids = ['w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
const of = (challengeId: string, kind: string) =>
  sent.filter((s) => s.kind === kind && s.key.startsWith(`crew-challenge:${challengeId}:`));

describe('crew challenge: weekly challenge text and summary narrative', () => {
  it("texts the crew's Monday challenge once, in its tone, and words the summary", async () => {
    await skipTo(t.env, '2027-09-05T12:00:00Z');
    const base: Omit<CrewChallengeInput, 'challengeId'> = {
      crewId: 'crew-weekly',
      title: 'Walk',
      days: 2,
      startDate: '2027-09-06', // a Monday; London is on BST, so its 09:00 is 08:00Z
      timezone: london,
      minSize: 3,
      k: 5,
      members: ids.map((memberId) => ({ memberId, timezone: london })),
    };
    const start = (input: CrewChallengeInput) =>
      t.env.client.workflow.start(crewChallengeWorkflow, {
        taskQueue: TASK_QUEUE,
        workflowId: crewChallengeWorkflowId(input.challengeId),
        args: [input],
      });
    const handle = await start({ ...base, challengeId: 'weekly-calm', tone: 'calm' });
    const old = await start({ ...base, challengeId: 'weekly-none' });

    // Monday 07:50Z (08:50 in London): active, no weekly text yet.
    await skipTo(t.env, '2027-09-06T07:50:00Z');
    await waitFor(async () => (await handle.query(challengeStateQuery)).status === 'active', 'active');
    expect(of('weekly-calm', 'crew_weekly')).toEqual([]);

    // 09:00 in London: one weekly text per member, keyed by the week, in the member's window.
    await skipTo(t.env, '2027-09-06T08:10:00Z');
    await waitFor(() => of('weekly-calm', 'crew_weekly').length === ids.length, 'the weekly texts');
    const body = weeklyText('Walk', 1, 1, 'take it calmly, week 1');
    const weekly = of('weekly-calm', 'crew_weekly').sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
    expect(weekly.map((s) => [s.memberId, s.key, s.body, s.window])).toEqual(
      ids.map((m) => [m, `crew-challenge:weekly-calm:weekly:1:member:${m}`, body, ASK_WINDOW]),
    );
    expect(weeklyCalls).toEqual([{ crewId: 'crew-weekly', tone: 'calm', title: 'Walk', week: 1, weeks: 1 }]);

    for (const m of ids) {
      await handle.executeUpdate(answerUpdate, {
        args: [{ memberId: m, localDate: '2027-09-06', done: true }],
      });
      await old.executeUpdate(answerUpdate, { args: [{ memberId: m, localDate: '2027-09-06', done: true }] });
    }
    await skipTo(t.env, '2027-09-07T10:00:00Z');
    for (const m of ids.slice(0, 5))
      await handle.executeUpdate(answerUpdate, {
        args: [{ memberId: m, localDate: '2027-09-07', done: m !== 'w5' }],
      });

    // Day 2 ends in London at 2027-09-07T23:00Z; with the 24 h grace the challenge closes itself after it.
    await skipTo(t.env, '2027-09-09T00:00:00Z');
    await waitFor(async () => (await handle.query(challengeStateQuery)).status === 'completed', 'completed');
    await waitFor(async () => (await old.query(challengeStateQuery)).status === 'completed', 'old completed');
    const view = await handle.query(challengeStateQuery);
    expect(view.narrative).toBe('A calm ending.');
    // The AI layer got the workflow's figures, and only them: 6 + 4 done, both days' pulses published.
    expect(narrativeCalls).toEqual([
      {
        crewId: 'crew-weekly',
        tone: 'calm',
        title: 'Walk',
        figures: { days: 2, done: 10, atLeast: false, publishedDays: 2, milestones: 0, goal: null },
      },
    ]);
    expect(view.summary).toContain('10 check-ins done, 2 crew pulses shared');
    await waitFor(() => of('weekly-calm', 'crew_summary').length === ids.length, 'the summary texts');
    for (const m of ids)
      expect(
        of('weekly-calm', 'crew_summary')
          .filter((s) => s.memberId === m)
          .map((s) => s.body),
      ).toEqual([summaryWithNarrativeText(view.summary!, 'A calm ending.')]);

    // The challenge without a tone: no weekly text, no narrative, the summary alone.
    const oldView = await old.query(challengeStateQuery);
    expect(of('weekly-none', 'crew_weekly')).toEqual([]);
    expect(oldView.narrative).toBeNull();
    await waitFor(() => of('weekly-none', 'crew_summary').length === ids.length, 'the old summary texts');
    expect(new Set(of('weekly-none', 'crew_summary').map((s) => s.body))).toEqual(new Set([oldView.summary]));
    expect(weeklyCalls).toHaveLength(1);
    expect(narrativeCalls).toHaveLength(1);
    await captureHistory('crew-challenge-weekly', handle);
  }, 600_000);
});
