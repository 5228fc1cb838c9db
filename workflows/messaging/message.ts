/**
 * `message-<idempotency key>`: one text sent through the messaging core, for senders that are not long-lived
 * entities (an operator's one-off message, a test). Deferrals are durable timers: a marketing text due at 02:00
 * local sleeps in this workflow until 08:00 local, visible as a pending timer in the Web UI.
 */
import type { SendSmsInput } from '../../activities/messaging.js';
import { sendMessage, type MessageOutcome } from '../lib/outbound.js';

export async function messageWorkflow(input: SendSmsInput): Promise<MessageOutcome> {
  return sendMessage(input);
}
