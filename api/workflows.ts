/**
 * Everything the API uses from workflows/, in one place: ids, the task queue, the member's message definitions
 * (side-effect free), its search attributes and values. The API never imports workflow implementations; it starts
 * the member workflow by its type name.
 */
export { memberWorkflowId, TASK_QUEUE } from '../workflows/ids.js';
export { MAX_TITLE_LENGTH } from '../workflows/member/goals.js';
export {
  addGoalUpdate,
  archiveGoalUpdate,
  eraseSignal,
  memberStateQuery,
  updatePreferencesUpdate,
  type GoalView,
  type MemberPreferences,
  type MemberSnapshot,
} from '../workflows/member/definitions.js';
export { MEMBER_ID_SA, MEMBER_STATUS_SA, RISK_LEVEL_SA } from '../workflows/member/search-attributes.js';
export {
  CHECK_IN_STATUSES,
  GOAL_STATUSES,
  MEMBER_DEFAULTS,
  MEMBER_STATUSES,
  RISK_LEVELS,
  TONES,
  TWILIO_MODE_CONFIRM_WORD,
} from '../workflows/member/values.js';
export { fieldErrorsOf } from '../workflows/lib/failures.js';
export { localDate as localDateOf } from '../workflows/lib/time.js';

/** The member workflow's type name (its exported function name in workflows/). */
export const MEMBER_WORKFLOW_TYPE = 'memberWorkflow';
export type { MemberWorkflowInput } from '../workflows/member/state.js';

export { crewChallengeWorkflowId } from '../workflows/ids.js';
export {
  answerUpdate,
  cancelChallengeSignal,
  CHALLENGE_STATUSES,
  challengeStateQuery,
  contributeUpdate,
  joinChallengeSignal,
  leaderboardAliasUpdate,
  leaderboardQuery,
  leaveChallengeSignal,
  memberDataQuery,
  MAX_DAYS as MAX_CHALLENGE_DAYS,
  MAX_K as MAX_CHALLENGE_K,
  raiseKUpdate,
  type ChallengeView,
  type CrewChallengeInput,
} from '../workflows/crew-challenge/definitions.js';
export { MIN_K as MIN_PULSE_K } from '../workflows/crew-challenge/pulse.js';
export { CREW_DEFAULT_TONE } from '../workflows/crew-challenge/tone.js';
export {
  MAX_AMOUNT as MAX_GOAL_AMOUNT,
  MAX_TARGET as MAX_GOAL_TARGET,
  parseAdd,
} from '../workflows/crew-challenge/goal.js';
export { MILESTONE_IDS_PATTERN } from '../workflows/crew-challenge/milestones.js';
export {
  CHALLENGE_MEMBER_IDS_SA,
  CHALLENGE_STATUS_SA,
  CREW_ID_SA,
} from '../workflows/crew-challenge/search-attributes.js';
/** The crew challenge workflow's type name. */
export const CREW_CHALLENGE_WORKFLOW_TYPE = 'crewChallengeWorkflow';

/** One standalone text through the messaging core (`message-<key>`), e.g. a sign-in code. */
export { messageWorkflowId } from '../workflows/ids.js';
export const MESSAGE_WORKFLOW_TYPE = 'messageWorkflow';
export { signInCodeText } from '../workflows/lib/texts.js';

/** Mentorship: the states a member's export reads (api/routes/privacy.ts). */
export { mentorStateQuery } from '../workflows/mentor/definitions.js';
export { matchStateQuery } from '../workflows/mentorship-match/definitions.js';

/** Erasure (issue 12 §2): the durable workflow that takes a member out of every running workflow. */
export const ERASURE_WORKFLOW_TYPE = 'erasureWorkflow';
export { erasureWorkflowId } from '../workflows/ids.js';
export type { ErasureInput } from '../workflows/erasure/definitions.js';
/** Erasure by phone of a number that is not a member's (issue 12, `POST /privacy/erasures`). */
export const PHONE_ERASURE_WORKFLOW_TYPE = 'phoneErasureWorkflow';
export { phoneErasureWorkflowId } from '../workflows/ids.js';
export type { PhoneErasureInput } from '../workflows/erasure/definitions.js';
