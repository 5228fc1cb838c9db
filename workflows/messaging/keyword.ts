/**
 * `inbound-<inbound id>`: handles one compliance keyword (STOP / START / HELP family) after the webhook has
 * recorded it in the consent ledger: tells the workflows that text this number, and sends exactly one reply.
 * Its id comes from the inbound message, so a redelivered webhook or the inbox drainer cannot start it twice.
 */
import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { memberWorkflowId } from '../ids.js';
import { consentSignal } from '../lib/conversation.js';
import { sendMessage } from '../lib/outbound.js';
import { keywordReply, type Brand } from '../lib/texts.js';

export interface KeywordInput {
  inboundId: number;
  kind: 'opt_out' | 'opt_in' | 'help';
  /** Member with this number, if any (more workflow kinds join as they arrive: crews, matches, campaigns). */
  memberId: string | null;
  /** False when the keyword changed nothing (a second STOP): no second confirmation. HELP always replies. */
  reply: boolean;
  brand: Brand;
}

export async function keywordWorkflow(input: KeywordInput): Promise<string> {
  if (input.memberId && input.kind !== 'help') {
    try {
      await getExternalWorkflowHandle(memberWorkflowId(input.memberId)).signal(consentSignal, {
        optedOut: input.kind === 'opt_out',
        inboundId: input.inboundId,
      });
    } catch {
      // The member's workflow has ended: nothing to tell. The send gate reads consent from Postgres anyway.
    }
  }
  if (!input.reply) return 'no_reply';
  const res = await sendMessage({
    idempotencyKey: `inbound:${input.inboundId}:${input.kind}_reply`,
    to: { replyToInboundId: input.inboundId },
    kind: `${input.kind}_reply`,
    purpose: 'transactional',
    body: keywordReply(input.kind, input.brand),
    keywordReply: true,
  });
  return res.outcome;
}
