/**
 * A text the send gate holds (here: the daily cap holds the check-in prompt until 08:00 the next day) no longer
 * holds the member's process: a reply sent meanwhile is answered at once, and the held text still goes out once,
 * when the gate allows it (`patched('member-held-texts')`; before, the reply waited for the held text). An erased
 * member's held text is never sent.
 */
import { Context } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import type { SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import { memberWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { eraseSignal, memberStateQuery, replySignal } from '../../workflows/member/definitions.js';
import { memberWorkflow } from '../../workflows/member/workflow.js';
import { captureHistory } from '../helpers/histories.js';
import { finishMember, skipTo, timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

/** Per member, the gate holds check-in prompts asked before this instant until it (08:00 EST the next day). */
const HELD_UNTIL = Date.parse('2028-01-11T13:00:00Z');
const holdUntil = new Map<string, number>([
  ['held-texts', HELD_UNTIL],
  ['held-erased', Date.parse('2028-01-18T13:00:00Z')],
]);
const attempts: Array<{ key: string; kind: string; memberId: string | null; atMs: number; outcome: string }> =
  [];

const activities = {
  async sendSms(input: SendSmsInput): Promise<SendSmsResult> {
    const atMs = Context.current().info.currentAttemptScheduledTimestampMs;
    const memberId = 'memberId' in input.to ? input.to.memberId : null;
    const until = holdUntil.get(memberId ?? '') ?? 0;
    const hold = input.kind === 'checkin_prompt' && atMs < until;
    attempts.push({
      key: input.idempotencyKey,
      kind: input.kind,
      memberId,
      atMs,
      outcome: hold ? 'deferred' : 'sent',
    });
    if (hold) return { outcome: 'deferred', untilMs: until, reason: 'daily_cap' };
    return { outcome: 'sent', messageId: attempts.length, providerSid: `SM${attempts.length}` };
  },
  async recordDay(): Promise<void> {},
  async storeGoal(): Promise<void> {},
  async recordRiskChange(): Promise<void> {},
  async setMemberStatus(): Promise<void> {},
};

const t = timeSkippingWorkers(activities);
const of = (memberId: string, kind?: string) =>
  attempts.filter((a) => a.memberId === memberId && (!kind || a.kind === kind));

describe('member workflow: a text held by the gate', () => {
  it('does not hold the replies: one sent meanwhile is answered at once; the held text goes out once, when allowed', async () => {
    const memberId = 'held-texts';
    await skipTo(t.env, '2028-01-10T13:00:00Z'); // 08:00 EST
    const handle = await t.env.client.workflow.start(memberWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: memberWorkflowId(memberId),
      args: [{ memberId, timezone: 'America/New_York', checkInTime: '09:00' }],
    });
    await waitFor(async () => (await handle.query(memberStateQuery)).nextPromptAt !== null, 'the first wait');

    // 09:00 EST: the prompt is asked for and held until 08:00 tomorrow.
    await skipTo(t.env, '2028-01-10T14:01:00Z');
    await waitFor(() => of(memberId, 'checkin_prompt').length === 1, 'the prompt to be held');
    expect(of(memberId, 'checkin_prompt')[0]!.outcome).toBe('deferred');

    // A text from the member while the prompt is held: answered now, not at 08:00 tomorrow.
    await handle.signal(replySignal, { inboundId: 1, body: 'what is this?', receivedAtMs: 0 });
    const [answer] = await waitFor(() => {
      const a = of(memberId).filter((x) => x.kind !== 'checkin_prompt');
      return a.length > 0 && a;
    }, 'the answer to the reply');
    expect(answer!.atMs).toBeLessThan(HELD_UNTIL);
    expect(of(memberId, 'checkin_prompt')).toHaveLength(1); // still held, not asked again

    // 08:00 EST the next day: the held prompt is asked again under the same key and goes out, once.
    await skipTo(t.env, '2028-01-11T13:00:30Z');
    await waitFor(() => of(memberId, 'checkin_prompt').length === 2, 'the held prompt sent');
    const [held, out] = of(memberId, 'checkin_prompt');
    expect(out!.key).toBe(held!.key);
    expect(out!.outcome).toBe('sent');
    expect(out!.atMs).toBeGreaterThanOrEqual(HELD_UNTIL);

    await captureHistory('member-held-texts', handle);
    await finishMember(handle);
  });

  it('an erased member: the held text is never sent', async () => {
    const memberId = 'held-erased';
    await skipTo(t.env, '2028-01-17T13:00:00Z'); // 08:00 EST
    const handle = await t.env.client.workflow.start(memberWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: memberWorkflowId(memberId),
      args: [{ memberId, timezone: 'America/New_York', checkInTime: '09:00' }],
    });
    await waitFor(async () => (await handle.query(memberStateQuery)).nextPromptAt !== null, 'the first wait');
    await skipTo(t.env, '2028-01-17T14:01:00Z');
    await waitFor(() => of(memberId, 'checkin_prompt').length === 1, 'the prompt to be held');
    await handle.signal(eraseSignal);
    await waitFor(
      async () => (await handle.describe()).status.name === 'COMPLETED',
      'the erased member to end',
    );
    await skipTo(t.env, '2028-01-18T13:05:00Z');
    await new Promise((r) => setTimeout(r, 500));
    expect(of(memberId, 'checkin_prompt')).toHaveLength(1);
    expect(of(memberId, 'checkin_prompt')[0]!.outcome).toBe('deferred');
  });
});
