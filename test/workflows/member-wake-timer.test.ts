/**
 * The member workflow keeps its wake-up timer while the next due time stays the same: texts that arrive between
 * prompts cost no timer events (before: a TimerStarted and a TimerCanceled per text). A changed due time (a new
 * check-in time) re-arms it, and the prompt still comes at the right local minute.
 */
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import { memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import {
  memberStateQuery,
  replySignal,
  updatePreferencesUpdate,
} from '../../workflows/member/definitions.js';
import { memberWorkflow } from '../../workflows/member/workflow.js';
import { captureHistory } from '../helpers/histories.js';
import { finishMember, skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

const sent: Array<{ kind: string; memberId: string | null; at: string }> = [];

const activities = {
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    sent.push({
      kind: input.kind,
      memberId: 'memberId' in input.to ? input.to.memberId : null,
      at: new Date(Context.current().info.currentAttemptScheduledTimestampMs).toISOString(),
    });
    return { outcome: 'sent', messageId: sent.length, providerSid: `SM${sent.length}` };
  },
  async recordDay(): Promise<void> {},
  async storeGoal(): Promise<void> {},
  async recordRiskChange(): Promise<void> {},
  async setMemberStatus(): Promise<void> {},
};

const t = timeSkippingWorkers(activities);

async function timerEvents(handle: WorkflowHandle): Promise<{ started: number; canceled: number }> {
  const { events } = await handle.fetchHistory();
  let started = 0;
  let canceled = 0;
  for (const e of events ?? []) {
    if (e.timerStartedEventAttributes) started += 1;
    if (e.timerCanceledEventAttributes) canceled += 1;
  }
  return { started, canceled };
}

describe('member workflow: the wake-up timer', () => {
  it('is not re-armed by texts between prompts; a new check-in time re-arms it once', async () => {
    const memberId = 'wake-timer';
    await skipTo(t.env, '2028-01-10T03:00:00Z');
    const handle = await t.env.client.workflow.start(memberWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: memberWorkflowId(memberId),
      args: [{ memberId, timezone: 'Europe/Berlin', checkInTime: '19:00' }],
    });
    const before = await waitFor(async () => {
      const s = await handle.query(memberStateQuery);
      return s.nextPromptAt !== null && s;
    }, 'the first wait');
    expect(before.nextPromptAt).toBe('2028-01-10T18:00:00.000Z');
    const armed = await waitFor(async () => {
      const e = await timerEvents(handle);
      return e.started > 0 && e;
    }, 'the timer');

    // Five texts before the prompt: each is answered (a clarification), none touches the timer.
    for (let i = 1; i <= 5; i++) {
      await handle.signal(replySignal, { inboundId: i, body: `hello ${i}?`, receivedAtMs: 0 });
    }
    await waitFor(
      () => sent.filter((s) => s.memberId === memberId && s.kind !== 'checkin_prompt').length >= 1,
      'the replies to be handled',
    );
    await waitFor(
      async () => (await handle.query(memberStateQuery)).nextPromptAt === before.nextPromptAt,
      'the workflow to wait again',
    );
    await waitFor(async () => {
      const { events } = await handle.fetchHistory();
      const last = events?.at(-1);
      return last?.workflowTaskCompletedEventAttributes && (events?.length ?? 0) > 0;
    }, 'the last task to complete');
    expect(await timerEvents(handle)).toEqual(armed);

    // A new check-in time moves the due time: the old timer is cancelled and one new timer started.
    await handle.executeUpdate(updatePreferencesUpdate, { args: [{ checkInTime: '20:30' }] });
    await waitFor(async () => {
      const e = await timerEvents(handle);
      return e.started === armed.started + 1 && e;
    }, 'the re-armed timer');
    expect((await timerEvents(handle)).canceled).toBe(armed.canceled + 1);

    // The prompt comes at the new local time (20:30 CET = 19:30Z), not the old one.
    await skipTo(t.env, '2028-01-10T18:30:00Z');
    expect(sent.filter((s) => s.memberId === memberId && s.kind === 'checkin_prompt')).toHaveLength(0);
    await skipTo(t.env, '2028-01-10T19:31:00Z');
    const [prompt] = await waitFor(() => {
      const p = sent.filter((s) => s.memberId === memberId && s.kind === 'checkin_prompt');
      return p.length > 0 && p;
    }, 'the prompt');
    const delay = Date.parse(prompt!.at) - Date.parse('2028-01-10T19:30:00Z');
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(60_000);

    await captureHistory('member-wake-timer', handle);
    await finishMember(handle);
  });
});
