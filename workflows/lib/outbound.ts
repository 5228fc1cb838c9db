/**
 * The workflow side of the messaging core: every workflow sends through `sendMessage`.
 * A deferral (quiet hours, frequency cap) becomes a durable workflow timer, then the gate is asked again.
 * A permanent provider failure (unsubscribed, invalid number) ends as `failed` instead of failing the workflow.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { createMessagingActivities, SendSmsInput, SendSmsResult } from '../../activities/messaging.js';
import { SMS_SEND } from './activity-options.js';
import { markedForAll, subjectOfRecipient, type Subject } from './subject.js';

/** The messaging activities only (typed by their own factory), with the one SMS retry policy. */
const { sendSms } = proxyActivities<ReturnType<typeof createMessagingActivities>>(SMS_SEND);

export type MessageOutcome = SendSmsResult | { outcome: 'failed'; reason: string };

/** Upper bound on re-checks after deferrals, so a misconfigured window cannot loop forever. */
export const MAX_DEFERRALS = 20;

/**
 * `quoting`: the people whose words the body carries besides the recipient's (a crewmate's reflection, the
 * mentee's briefing to the mentor): the text is sealed under their keys too, so either one's erasure makes it
 * unreadable in the history.
 */
export async function sendMessage(
  input: SendSmsInput,
  opts: { quoting?: ReadonlyArray<Subject | null> } = {},
): Promise<MessageOutcome> {
  for (let i = 0; i < MAX_DEFERRALS; i++) {
    const res = await attemptSend(input, opts);
    if (res.outcome !== 'deferred') return res;
    await sleep(Math.max(1_000, res.untilMs - Date.now()));
  }
  return { outcome: 'failed', reason: 'too_many_deferrals' };
}

/**
 * One ask of the gate, without waiting out a deferral: `deferred` comes back to the caller, which keeps the text
 * and asks again at `untilMs` (the member workflow holds it in its state and goes on with its replies).
 */
export async function attemptSend(
  input: SendSmsInput,
  opts: { quoting?: ReadonlyArray<Subject | null> } = {},
): Promise<MessageOutcome> {
  // The body is personal data of the recipient: sealed with their key in the history (README "Privacy").
  try {
    return await sendSms(markedQuotingInput(input, opts.quoting ?? []));
  } catch (err) {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
      return { outcome: 'failed', reason: err.cause.type ?? err.cause.message };
    }
    throw err;
  }
}

/**
 * A text's activity input marked as personal data of its recipient, and of everyone it quotes
 * (workflows/lib/subject.ts).
 */
export function markedSendInput(input: SendSmsInput): SendSmsInput {
  return markedQuotingInput(input, []);
}

/** As `markedSendInput`, also sealed under the keys of the people the body quotes. */
export function markedQuotingInput(
  input: SendSmsInput,
  quoting: ReadonlyArray<Subject | null>,
): SendSmsInput {
  let recipient: Subject | null;
  try {
    recipient = subjectOfRecipient(input.to);
  } catch {
    recipient = null; // an id that is no valid subject (never a real uuid): not marked for it rather than failing
  }
  return markedForAll([recipient, ...quoting], input);
}
