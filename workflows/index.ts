/** Every workflow the worker runs (its `workflowsPath`). `workflows/checks.ts` proves none is missing. */
export { crewChallengeWorkflow } from './crew-challenge/workflow.js';
export { crewCommandWorkflow } from './crew/workflow.js';
export { memberWorkflow } from './member/workflow.js';
export { mentorWorkflow } from './mentor/workflow.js';
export { mentorshipMatchWorkflow } from './mentorship-match/workflow.js';
export { mentorshipCohortWorkflow } from './mentorship-cohort/workflow.js';
export { bulkMessageWorkflow } from './messaging/bulk.js';
export { keywordWorkflow } from './messaging/keyword.js';
export { messageWorkflow } from './messaging/message.js';
export { guestCampaignWorkflow } from './guest-campaign/workflow.js';
export { retentionPurgeWorkflow } from './retention/workflow.js';
export { erasureWorkflow } from './erasure/workflow.js';
export { phoneErasureWorkflow } from './erasure/phone.js';
