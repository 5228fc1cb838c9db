/**
 * `JOIN <code>` from a phone that is not a member's yet (crewCommandWorkflow with `memberId: null`). The usual
 * double opt-in — a request from the phone, then a confirmation it answers YES — done once for both: the
 * confirmation carries the member welcome's terms (a daily check-in, rates, STOP) and the crew's consent
 * statement. YES creates the member (active, no name, the crew's zone, check-in at 19:00) and the membership in
 * one transaction, with the consent evidence of a member's join (both inbound ids and the exact text), starts the
 * member's own workflow (`member-<id>`, outliving this one) and tells the running challenges. A wrong code, a full
 * crew, NO, or no answer in 24 h create nothing. Replies before the member exists go to the phone of the JOIN
 * text (`replyToInboundId`): no phone number enters the history.
 */
import {
  condition,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  proxyActivities,
  startChild,
  uuid4,
} from '@temporalio/workflow';
import type { createCrewActivities } from '../../activities/crews.js';
import { joinChallengeSignal } from '../crew-challenge/definitions.js';
import { DEFAULT_PROMPT_TIME } from '../crew-challenge/sms.js';
import { memberWorkflowId } from '../ids.js';
import { DB_WRITE } from '../lib/activity-options.js';
import type { InboundReply } from '../lib/conversation.js';
import { parseCheckInReply } from '../lib/keywords.js';
import { sendMessage } from '../lib/outbound.js';
import { MEMBER_ID_SA, MEMBER_STATUS_SA, RISK_LEVEL_SA } from '../member/search-attributes.js';
import type { memberWorkflow } from '../member/workflow.js';
import {
  crewFullText,
  JOIN_CANCELLED_TEXT,
  newcomerConfirmText,
  newcomerJoinedText,
  wrongCodeText,
} from './texts.js';

const crew = proxyActivities<ReturnType<typeof createCrewActivities>>(DB_WRITE);

/** A new member's daily check-in time (the crews' default question time), in the crew's zone. */
export const NEWCOMER_CHECK_IN_TIME = DEFAULT_PROMPT_TIME;

export type NewcomerOutcome = 'joined' | 'already_member' | 'full' | 'wrong_code' | 'cancelled' | 'no_reply';

/** Whether a reply to a join confirmation is its YES (Y, YES, yes! …; nothing else). */
export function isJoinYes(body: string): boolean {
  const parsed = parseCheckInReply(body);
  return parsed.ok && parsed.answers.length === 1 && parsed.answers[0]!.done && !parsed.reflection;
}

export async function joinAsNewcomer(args: {
  inboundId: number;
  code: string;
  accepts: string;
  waitMs: number;
  reply: () => InboundReply | null;
}): Promise<NewcomerOutcome> {
  const { inboundId } = args;
  const tell = (
    key: string,
    to: { replyToInboundId: number } | { memberId: string },
    body: string,
    expect = false,
  ) =>
    sendMessage({
      idempotencyKey: `inbound:${inboundId}:${key}`,
      to,
      kind: key,
      purpose: 'transactional',
      body,
      ...(expect && { expectReply: { accepts: args.accepts, untilMs: Date.now() + args.waitMs } }),
    });
  const phone = { replyToInboundId: inboundId };

  const found = await crew.crewForSmsJoin({ memberId: null, code: args.code });
  if (found.outcome === 'wrong_code') {
    await tell('crew_wrong_code', phone, wrongCodeText(args.code));
    return 'wrong_code';
  }
  if (found.outcome === 'full') {
    await tell('crew_full', phone, crewFullText(found.name));
    return 'full';
  }
  const confirmation = newcomerConfirmText(found.name, found.pulseK, NEWCOMER_CHECK_IN_TIME);
  await tell('crew_join_confirm', phone, confirmation, true);
  if (!(await condition(() => args.reply() !== null, args.waitMs))) return 'no_reply';
  const answer = args.reply()!;
  if (!isJoinYes(answer.body)) {
    await tell('crew_join_cancelled', phone, JOIN_CANCELLED_TEXT);
    return 'cancelled';
  }
  const newId = uuid4();
  const result = await crew.joinCrewAsNewMember({
    crewId: found.crewId,
    memberId: newId,
    joinCode: found.joinCode,
    checkInTime: NEWCOMER_CHECK_IN_TIME,
    inboundMessageIds: [inboundId, answer.inboundId],
    confirmationText: confirmation,
  });
  if (!('memberId' in result)) {
    await tell('crew_full', phone, crewFullText(found.name));
    return 'full';
  }
  const joined = result;
  if (joined.memberId === newId) {
    // This YES made the member: their own workflow, already confirmed (the YES above was the opt-in).
    await startChild<typeof memberWorkflow>('memberWorkflow', {
      workflowId: memberWorkflowId(newId),
      parentClosePolicy: ParentClosePolicy.ABANDON,
      args: [{ memberId: newId, timezone: joined.timezone, checkInTime: NEWCOMER_CHECK_IN_TIME }],
      typedSearchAttributes: [
        { key: MEMBER_ID_SA, value: newId },
        { key: MEMBER_STATUS_SA, value: 'active' },
        { key: RISK_LEVEL_SA, value: 'low' },
      ],
    });
  }
  for (const id of joined.challengeWorkflowIds) {
    try {
      await getExternalWorkflowHandle(id).signal(joinChallengeSignal, {
        memberId: joined.memberId,
        timezone: joined.timezone,
      });
    } catch {
      // ended: nothing to tell
    }
  }
  await tell(
    'crew_joined',
    { memberId: joined.memberId },
    newcomerJoinedText(found.name, NEWCOMER_CHECK_IN_TIME),
  );
  return joined.outcome;
}
