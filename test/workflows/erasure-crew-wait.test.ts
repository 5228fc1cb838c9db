/**
 * The erasure destroys the member's key only after every crew challenge it told has dropped them (issue 12 §2): a
 * challenge's run holds their data until it continues as new without them, and after the shred nobody could seal
 * that state again. On the time-skipping server: the real crew challenge, erasure workflow and wait activity
 * (`awaitChallengeDropped`, a query retried with backoff); the challenge is held inside a send while the erasure
 * arrives, so it has dropped the member from its state but not yet continued as new.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { afterAll, describe, expect, it } from 'vitest';
import { createErasureActivities } from '../../activities/erasure.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import type { Db } from '../../db/client.js';
import {
  challengeStateQuery,
  holdsMemberQuery,
  type CrewChallengeInput,
} from '../../workflows/crew-challenge/definitions.js';
import { crewChallengeWorkflow } from '../../workflows/crew-challenge/workflow.js';
import { erasureWorkflow } from '../../workflows/erasure/workflow.js';
import { crewChallengeWorkflowId, erasureWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';
import { withSmsBatch } from '../helpers/sms-batch.js';

type Erasure = ReturnType<typeof createErasureActivities>;
const GONE = 'erased-crew-member';
const real = createErasureActivities({ db: null as unknown as Db });

/** While set, the challenge's texts wait on it (the run is busy inside a send). */
let hold: { promise: Promise<void>; release: () => void } | null = null;
let released = false;
const waitAttempts: number[] = [];
const shreds: Array<{ afterRelease: boolean; runId: string; holds: boolean }> = [];

const activities = {
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    if (hold && input.idempotencyKey.startsWith('crew-challenge:')) await hold.promise;
    return { outcome: 'sent', messageId: 1, providerSid: `SM-${input.idempotencyKey}` };
  },
  async awaitChallengeDropped(r: Parameters<Erasure['awaitChallengeDropped']>[0]): Promise<void> {
    // Stands in for the bound running out (CHALLENGE_DROP_WAIT's 24 h): the activity fails for good.
    if (r.challengeId === 'stuck-1')
      throw ApplicationFailure.nonRetryable('the wait for the challenge ran out', 'ChallengeHoldsMember');
    waitAttempts.push(Context.current().info.attempt);
    return real.awaitChallengeDropped(r);
  },
  async awaitWorkflowClosed(r: Parameters<Erasure['awaitWorkflowClosed']>[0]): Promise<void> {
    return real.awaitWorkflowClosed(r);
  },
  async recordErasureStep(): Promise<void> {},
  async eraseMemberRows(): Promise<boolean> {
    return true;
  },
  async shredErasedSubject(r: Parameters<Erasure['shredErasedSubject']>[0]): Promise<void> {
    if (r.memberId !== GONE) return;
    // What the challenge looks like at the moment the key goes.
    const handle = Context.current().client.workflow.getHandle(crewChallengeWorkflowId('wait-1'));
    shreds.push({
      afterRelease: released,
      runId: (await handle.describe()).runId,
      holds: await handle.query(holdsMemberQuery, GONE),
    });
  },
} satisfies Partial<Erasure> & { sendSms: unknown };

const t = timeSkippingWorkers(withSmsBatch(activities));
// A send still held when a test fails would keep the worker from shutting down (stack order: this runs first).
afterAll(() => hold?.release());

describe('erasure waits for a crew challenge to drop the member', () => {
  it('the key is destroyed only after the challenge continued as new without them', async () => {
    await skipTo(t.env, '2027-09-01T12:00:00Z');
    const input: CrewChallengeInput = {
      challengeId: 'wait-1',
      crewId: 'crew-wait-1',
      title: 'Walk',
      days: 3,
      startDate: '2027-09-06',
      timezone: 'Europe/London',
      minSize: 3,
      k: 5,
      members: ['kept-member', GONE].map((memberId) => ({ memberId, timezone: 'Europe/London' })),
    };
    const challenge = await t.env.client.workflow.start(crewChallengeWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: crewChallengeWorkflowId(input.challengeId),
      args: [input],
    });
    const current = () => t.env.client.workflow.getHandle(challenge.workflowId);
    const firstRun = challenge.firstExecutionRunId;

    // At the start gate (London midnight) two of three members joined: the run extends once and tells them —
    // inside that send it is held while the erasure arrives. The clock goes exactly to the gate: a running
    // activity stops the server from skipping time, so a skip beyond it would pass in real time.
    let release!: () => void;
    hold = { promise: new Promise<void>((r) => (release = r)), release: () => release() };
    await skipTo(t.env, '2027-09-05T23:00:00Z');
    await waitFor(async () => (await current().describe()).raw.pendingActivities?.length, 'the held send');

    const erasure = await t.env.client.workflow.start(erasureWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: erasureWorkflowId(GONE),
      args: [
        {
          erasureId: GONE,
          memberId: GONE,
          requestedBy: 'operator:test',
          challengeIds: ['wait-1'],
          matchIds: [],
          mentorIds: [],
        },
      ],
    });
    // The challenge took them out of its state, but its run (and the history it hands on) is not done with them.
    await waitFor(
      async () => (await current().query(challengeStateQuery)).memberCount === 1,
      'the member dropped from the state',
    );
    expect((await current().describe()).runId).toBe(firstRun);
    expect(await current().query(holdsMemberQuery, GONE)).toBe(true);
    // The erasure keeps asking, and does not shred meanwhile.
    await waitFor(() => waitAttempts.length >= 2, 'the erasure asking twice', 60_000);
    expect(shreds).toEqual([]);

    // The send completes: the run continues as new without them, and only then is the key destroyed.
    released = true;
    hold.release();
    await waitFor(() => shreds.length === 1, 'the shred', 90_000);
    expect(shreds[0]).toMatchObject({ afterRelease: true, holds: false });
    expect(shreds[0]!.runId).not.toBe(firstRun);
    await waitFor(async () => (await erasure.describe()).status.name === 'COMPLETED', 'the erasure done');
    expect(await erasure.result()).toEqual({
      challengesTold: 1,
      matchesTold: 0,
      mentorsTold: 0,
      challengesNotDropped: [],
    });
    hold = null;
    await captureHistory('erasure-crew-wait', erasure);
  }, 180_000);

  it('a challenge that never drops them holds the shred up only to the bound, and is named in the result', async () => {
    const stuck = await t.env.client.workflow.start(crewChallengeWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: crewChallengeWorkflowId('stuck-1'),
      args: [
        {
          challengeId: 'stuck-1',
          crewId: 'crew-stuck-1',
          title: 'Read',
          days: 3,
          startDate: '2028-01-10',
          timezone: 'Europe/London',
          minSize: 2,
          k: 5,
          members: ['kept-2', 'gone-2'].map((memberId) => ({ memberId, timezone: 'Europe/London' })),
        },
      ],
    });
    await waitFor(async () => (await stuck.query(challengeStateQuery)).status === 'gathering', 'gathering');
    const erasure = await t.env.client.workflow.start(erasureWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: erasureWorkflowId('gone-2'),
      args: [
        {
          erasureId: 'gone-2',
          memberId: 'gone-2',
          requestedBy: 'operator:test',
          challengeIds: ['stuck-1'],
          matchIds: [],
          mentorIds: [],
        },
      ],
    });
    await waitFor(async () => (await erasure.describe()).status.name === 'COMPLETED', 'the erasure done');
    expect(await erasure.result()).toEqual({
      challengesTold: 1,
      matchesTold: 0,
      mentorsTold: 0,
      challengesNotDropped: ['stuck-1'],
    });
  }, 120_000);
});
