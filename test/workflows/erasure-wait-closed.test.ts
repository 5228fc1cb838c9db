/**
 * The erasure destroys the member's key only after the workflows it told have closed (their own member workflow,
 * their matches, their mentor workflows): a running workflow may be replayed at any time, and after the shred a
 * replay would decode the member's payloads to tombstones and could take another path. On the time-skipping
 * server: the real member workflow, erasure workflow and wait activity (`awaitWorkflowClosed`, retried with
 * backoff); the member's workflow is busy inside a send when the erasure arrives, so it cannot end until it returns.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { afterAll, describe, expect, it } from 'vitest';
import { createErasureActivities } from '../../activities/erasure.js';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import type { Db } from '../../db/client.js';
import type { createMemberActivities } from '../../activities/members.js';
import { erasureWorkflow } from '../../workflows/erasure/workflow.js';
import { erasureWorkflowId, memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { memberStateQuery } from '../../workflows/member/definitions.js';
import { memberWorkflow } from '../../workflows/member/workflow.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

type Erasure = ReturnType<typeof createErasureActivities>;
const GONE = 'erased-busy-member';
const real = createErasureActivities({ db: null as unknown as Db });

/** While set, the member's texts wait on it (their workflow is busy inside a send). */
let hold: { promise: Promise<void>; release: () => void } | null = null;
let released = false;
const waitAttempts: number[] = [];
const shreds: Array<{ memberId: string; afterRelease: boolean; memberStatus: string }> = [];
/** Sends of the member's texts that have started (an activity's start is in the history only once it ends). */
let sendsStarted = 0;

const memberActivities = {
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    if (input.idempotencyKey.startsWith(`member:${GONE}:`)) sendsStarted += 1;
    if (hold && input.idempotencyKey.startsWith(`member:${GONE}:`)) await hold.promise;
    return { outcome: 'sent', messageId: 1, providerSid: `SM-${input.idempotencyKey}` };
  },
  async recordDay(): Promise<void> {},
  async storeGoal(): Promise<void> {},
  async recordRiskChange(): Promise<void> {},
  async setMemberStatus(): Promise<void> {},
} satisfies Partial<ReturnType<typeof createMemberActivities>> & { sendSms: unknown };

const erasureActivities = {
  async awaitWorkflowClosed(r: Parameters<Erasure['awaitWorkflowClosed']>[0]): Promise<void> {
    // Stands in for the bound running out (CHALLENGE_DROP_WAIT's 24 h): the activity fails for good.
    if (r.workflowId === memberWorkflowId('stuck-member'))
      throw ApplicationFailure.nonRetryable('the wait for the workflow ran out', 'StillRunning');
    waitAttempts.push(Context.current().info.attempt);
    return real.awaitWorkflowClosed(r);
  },
  async recordErasureStep(): Promise<void> {},
  async eraseMemberRows(): Promise<boolean> {
    return true;
  },
  async shredErasedSubject(r: Parameters<Erasure['shredErasedSubject']>[0]): Promise<void> {
    // What the member's workflow looks like at the moment the key goes.
    const handle = Context.current().client.workflow.getHandle(memberWorkflowId(r.memberId));
    shreds.push({
      memberId: r.memberId,
      afterRelease: released,
      memberStatus: (await handle.describe()).status.name,
    });
  },
} satisfies Partial<Erasure>;

const t = timeSkippingWorkers({ ...memberActivities, ...erasureActivities });
// A send still held when a test fails would keep the worker from shutting down.
afterAll(() => hold?.release());

const startMember = (memberId: string) =>
  t.env.client.workflow.start(memberWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: memberWorkflowId(memberId),
    args: [{ memberId, timezone: 'America/New_York', checkInTime: '09:00' }],
  });

const erase = (memberId: string) =>
  t.env.client.workflow.start(erasureWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: erasureWorkflowId(memberId),
    args: [
      {
        erasureId: memberId,
        memberId,
        requestedBy: 'api-key:test',
        challengeIds: [],
        matchIds: [],
        mentorIds: [],
      },
    ],
  });

describe('erasure waits for the workflows it told to close', () => {
  it("the key is destroyed only after the member's own workflow has ended", async () => {
    await skipTo(t.env, '2027-10-04T12:00:00Z'); // 08:00 EDT
    const member = await startMember(GONE);
    await waitFor(async () => (await member.query(memberStateQuery)).nextPromptAt !== null, 'the first wait');
    let release!: () => void;
    hold = { promise: new Promise<void>((r) => (release = r)), release: () => release() };

    // 09:00 EDT: the prompt's send is in flight (held by the fake) when the erasure arrives. The clock goes
    // exactly to the prompt: a running activity stops the server from skipping time, so a skip beyond it would
    // pass in real time.
    await skipTo(t.env, '2027-10-04T13:00:00Z');
    await waitFor(() => sendsStarted > 0, 'the prompt send to start');
    const erasure = await erase(GONE);
    await waitFor(() => waitAttempts.length >= 2, 'the erasure to wait for the member workflow', 60_000);
    expect(shreds).toEqual([]);
    expect((await member.describe()).status.name).toBe('RUNNING');

    released = true;
    hold.release();
    await waitFor(() => shreds.length > 0, 'the shred', 120_000);
    expect(shreds).toEqual([{ memberId: GONE, afterRelease: true, memberStatus: 'COMPLETED' }]);
    await waitFor(async () => (await erasure.describe()).status.name === 'COMPLETED', 'the erasure to end');
    expect(await erasure.result()).toMatchObject({ challengesTold: 0, matchesTold: 0 });
    hold = null;
    await captureHistory('erasure-wait-closed', erasure);
  }, 180_000);

  it('a workflow that does not close within the bound: recorded in the result, and the key goes anyway', async () => {
    const member = await startMember('stuck-member');
    await waitFor(async () => (await member.query(memberStateQuery)).nextPromptAt !== null, 'the first wait');
    const erasure = await erase('stuck-member');
    await waitFor(async () => (await erasure.describe()).status.name === 'COMPLETED', 'the erasure to end');
    expect(await erasure.result()).toMatchObject({ workflowsNotClosed: [memberWorkflowId('stuck-member')] });
    expect(shreds.at(-1)?.memberId).toBe('stuck-member');
  });
});
