/** Task queue and workflow ids, built in one place from business ids. Pure: imported by workflows and the API. */
export const TASK_QUEUE = 'crewline';

export const crewChallengeWorkflowId = (challengeId: string): string => `crew-challenge-${challengeId}`;

export const memberWorkflowId = (memberId: string): string => `member-${memberId}`;
export const mentorWorkflowId = (mentorId: string): string => `mentor-${mentorId}`;
export const mentorshipMatchWorkflowId = (matchId: string): string => `mentorship-match-${matchId}`;

/** One workflow per inbound compliance keyword (STOP/START/HELP). */
export const inboundWorkflowId = (inboundId: number): string => `inbound-${inboundId}`;

/** One workflow per standalone outbound message, keyed by its business idempotency key. */
export const messageWorkflowId = (idempotencyKey: string): string => `message-${idempotencyKey}`;

/**
 * The sender pool's task queue. Every SMS send (and every extra segment's pacing token) is an activity task on
 * it, and the pool's workers set `maxTaskQueueActivitiesPerSecond` to the sender's MPS: the server enforces
 * the rate across all worker processes.
 */
export const SMS_TASK_QUEUE = 'crewline-sms';

/** A bulk send, keyed by its business key (e.g. `campaign:<id>:step:<n>:part:<k>`). */
export const bulkWorkflowId = (key: string): string => `bulk-${key}`;

/** One workflow per guest campaign. */
export const guestCampaignWorkflowId = (campaignId: string): string => `guest-campaign-${campaignId}`;

/** The one retention purge workflow of a namespace (issue 12). */
export const RETENTION_WORKFLOW_ID = 'retention-purge';

/** One workflow per mentorship cohort (an operator's window of requests assigned at once). */
export const mentorshipCohortWorkflowId = (cohortId: string): string => `mentorship-cohort-${cohortId}`;

/** One erasure per member (issue 12 §2): a repeated request joins the running one. */
export const erasureWorkflowId = (memberId: string): string => `erasure-${memberId}`;

/** One erasure by phone (issue 12, `POST /privacy/erasures`): by the erasure record's id, never the number. */
export const phoneErasureWorkflowId = (erasureId: string): string => `erasure-phone-${erasureId}`;
