/**
 * `inbound-<inbound id>`: handles one compliance keyword (STOP / START / HELP family, or Twilio's OptOutType)
 * after the webhook has recorded it in the consent ledger: tells every workflow that holds this number (the
 * member's, and any crew, campaign or match with an open conversation — found in Postgres by the router), and
 * sends at most one reply. Its id comes from the inbound message, so a redelivered webhook or the inbox drainer
 * cannot start it twice.
 */
import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { consentSignal } from '../lib/conversation.js';
import { sendMessage } from '../lib/outbound.js';
import { keywordReply, type Brand } from '../lib/texts.js';

export interface KeywordInput {
  inboundId: number;
  kind: 'opt_out' | 'opt_in' | 'help';
  /** Business ids of the workflows holding this number (e.g. `member-<id>`); each gets the consent signal. */
  workflowIds: string[];
  /**
   * False when the keyword changed nothing (a second STOP) or Twilio answered it itself (Twilio-managed
   * opt-out): no confirmation from Crewline. HELP is answered unless Twilio did.
   */
  reply: boolean;
  brand: Brand;
}

export async function keywordWorkflow(input: KeywordInput): Promise<string> {
  if (input.kind !== 'help') {
    for (const workflowId of input.workflowIds) {
      try {
        await getExternalWorkflowHandle(workflowId).signal(consentSignal, {
          optedOut: input.kind === 'opt_out',
          inboundId: input.inboundId,
        });
      } catch {
        // That workflow has ended: nothing to tell. The send gate reads consent from Postgres anyway.
      }
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
