/**
 * `inbound-<inbound id>` for a crew command by SMS from a member's phone (api/inbound.ts starts it; its id comes
 * from the inbound text, so a redelivered webhook or the inbox drainer cannot start it twice).
 *
 * - `JOIN <code>`: the crew is looked up; a wrong code, a full crew or a member already in gets a clear text.
 *   Otherwise the member is asked to confirm with the consent statement (expecting the reply for 24 h); YES joins
 *   with that statement and both texts as evidence in the consent ledger, and the crew's running challenges are
 *   told; anything else cancels; no reply in 24 h joins nothing.
 * - `JOIN <code>` from a phone that is not a member's: newcomer.ts (the phone becomes a member with its YES).
 * - `REPORT`: reports the newest reflection shared in the member's crews (not their own), as the API's flag
 *   does; the answer names it by challenge and day.
 * - `NOTES ON|OFF [<code>]`: gives or withdraws consent to share one's reflections with the crew with the code,
 *   or the member's only crew (separately from the pulses), recorded in the consent ledger with the inbound text
 *   and the invitation the welcome text showed (NOTES_INVITE) as evidence.
 * - `LEAVE [<code>]`: leaves the crew with the code, or the member's only crew; with several crews and no code,
 *   the member is told the codes to choose from.
 */
import { condition, getExternalWorkflowHandle, log, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createCrewActivities } from '../../activities/crews.js';
import { joinChallengeSignal, leaveChallengeSignal } from '../crew-challenge/definitions.js';
import { replySignal, type InboundReply } from '../lib/conversation.js';
import type { CrewCommand } from '../lib/keywords.js';
import { DB_WRITE } from '../lib/activity-options.js';
import { sendMessage } from '../lib/outbound.js';
import { isJoinYes, joinAsNewcomer } from './newcomer.js';
import {
  alreadyMemberText,
  chooseCrewText,
  crewFullText,
  chooseNotesCrewText,
  JOIN_CANCELLED_TEXT,
  joinConfirmText,
  joinedText,
  leftText,
  NOT_IN_CREW_TEXT,
  NOTES_INVITE,
  NOTES_NOT_IN_CREW_TEXT,
  notesOffText,
  notesOnText,
  REPORT_NOTHING_TEXT,
  reportedText,
  reportTooNewText,
  wrongCodeText,
} from './texts.js';

const crew = proxyActivities<ReturnType<typeof createCrewActivities>>(DB_WRITE);

/** How long the join confirmation waits for the member's YES. */
export const JOIN_CONFIRM_MS = 24 * 60 * 60 * 1000;
/** The confirmation's conversation expectation (`accepts`). */
export const CREW_JOIN_ACCEPTS = 'crew_join';

export interface CrewCommandInput {
  inboundId: number;
  /** null: the phone is not a member's yet (`JOIN <code>` only; see newcomer.ts). */
  memberId: string | null;
  command: CrewCommand;
}

export type CrewCommandOutcome =
  | 'joined'
  | 'already_member'
  | 'full'
  | 'wrong_code'
  | 'cancelled'
  | 'no_reply'
  | 'left'
  | 'not_member'
  | 'choose'
  | 'reported'
  | 'report_refused'
  | 'notes_set';

export async function crewCommandWorkflow(input: CrewCommandInput): Promise<CrewCommandOutcome> {
  const { inboundId, memberId, command } = input;
  let reply: InboundReply | null = null;
  setHandler(replySignal, (r) => void (reply ??= r));
  if (memberId === null) {
    if (command.command !== 'join') return 'not_member';
    return joinAsNewcomer({
      inboundId,
      code: command.code,
      accepts: CREW_JOIN_ACCEPTS,
      waitMs: JOIN_CONFIRM_MS,
      reply: () => reply,
    });
  }

  const tell = (key: string, kind: string, body: string, extra: { expectUntilMs?: number } = {}) =>
    sendMessage({
      idempotencyKey: `inbound:${inboundId}:${key}`,
      to: { memberId },
      kind,
      purpose: 'transactional',
      body,
      ...(extra.expectUntilMs && {
        expectReply: { accepts: CREW_JOIN_ACCEPTS, untilMs: extra.expectUntilMs },
      }),
    });

  if (command.command === 'report') {
    const target = await crew.reflectionToReport({ memberId });
    const res = target.found
      ? await crew.reportReflectionBySms({
          challengeId: target.challengeId,
          reflectionId: target.reflectionId,
          memberId,
        })
      : ({ outcome: 'gone' } as const);
    if (res.outcome === 'reported' && target.found)
      await tell('crew_reported', 'crew_reported', reportedText(target.title, target.day, res.hidden));
    else if (res.outcome === 'too_new')
      await tell('crew_report_refused', 'crew_report_refused', reportTooNewText(res.minDays));
    else await tell('crew_report_none', 'crew_report_none', REPORT_NOTHING_TEXT);
    return res.outcome === 'reported' ? 'reported' : 'report_refused';
  }
  if (command.command === 'notes') {
    const res = await crew.setReflectionSharingBySms({
      memberId,
      code: command.code,
      share: command.share,
      inboundId,
      shownText: NOTES_INVITE,
    });
    if (res.outcome === 'choose')
      await tell('crew_choose', 'crew_choose', chooseNotesCrewText(command.share, res.crews));
    else if (res.outcome === 'not_member')
      await tell('crew_not_member', 'crew_not_member', NOTES_NOT_IN_CREW_TEXT);
    else
      await tell('crew_notes', 'crew_notes', command.share ? notesOnText(res.name) : notesOffText(res.name));
    return res.outcome === 'set' ? 'notes_set' : res.outcome;
  }
  if (command.command === 'leave') {
    const res = await crew.leaveCrewBySms({ memberId, code: command.code, inboundId });
    if (res.outcome === 'choose') await tell('crew_choose', 'crew_choose', chooseCrewText(res.crews));
    else if (res.outcome === 'not_member') await tell('crew_not_member', 'crew_not_member', NOT_IN_CREW_TEXT);
    else {
      await signalAll(res.challengeWorkflowIds, (id) =>
        getExternalWorkflowHandle(id).signal(leaveChallengeSignal, { memberId }),
      );
      await tell('crew_left', 'crew_left', leftText(res.name));
    }
    return res.outcome;
  }

  const found = await crew.crewForSmsJoin({ memberId, code: command.code });
  if (found.outcome === 'wrong_code') {
    await tell('crew_wrong_code', 'crew_wrong_code', wrongCodeText(command.code));
    return 'wrong_code';
  }
  if (found.outcome === 'already_member') {
    await tell('crew_already', 'crew_already', alreadyMemberText(found.name));
    return 'already_member';
  }
  if (found.outcome === 'full') {
    await tell('crew_full', 'crew_full', crewFullText(found.name));
    return 'full';
  }
  const confirmation = joinConfirmText(found.name, found.pulseK);
  await tell('crew_join_confirm', 'crew_join_confirm', confirmation, {
    expectUntilMs: Date.now() + JOIN_CONFIRM_MS,
  });
  if (!(await condition(() => reply !== null, JOIN_CONFIRM_MS))) return 'no_reply';
  const answer: InboundReply = reply!;
  if (!isJoinYes(answer.body)) {
    await tell('crew_join_cancelled', 'crew_join_cancelled', JOIN_CANCELLED_TEXT);
    return 'cancelled';
  }
  const joined = await crew.joinCrewBySms({
    crewId: found.crewId,
    memberId,
    joinCode: found.joinCode,
    inboundMessageIds: [inboundId, answer.inboundId],
    confirmationText: confirmation,
  });
  if (joined.outcome === 'full') {
    await tell('crew_full', 'crew_full', crewFullText(found.name));
    return 'full';
  }
  if (joined.outcome !== 'joined' && joined.outcome !== 'already_member') {
    log.warn('crew join by SMS found nothing to join', { inboundId, outcome: joined.outcome });
    return 'wrong_code';
  }
  await signalAll(joined.challengeWorkflowIds, (id) =>
    getExternalWorkflowHandle(id).signal(joinChallengeSignal, { memberId, timezone: joined.timezone }),
  );
  await tell('crew_joined', 'crew_joined', joinedText(found.name));
  return 'joined';
}

/** Signal each running challenge; one that has ended has nothing to be told. */
async function signalAll(ids: string[], signal: (id: string) => Promise<void>): Promise<void> {
  for (const id of ids) {
    try {
      await signal(id);
    } catch {
      // ended: nothing to tell
    }
  }
}
