/**
 * Compile-time checks of the workflow registry (type-level only: nothing here runs or is bundled).
 *
 * Every module that defines workflows is listed in `WorkflowModules`; every exported `…Workflow` function of
 * those modules must be exported by `workflows/index.ts` (the worker's `workflowsPath`) under the same name, or
 * `tsc` fails here naming it. A new entity adds its `workflow.ts` to the list.
 */
import type * as Registered from './index.js';
import type * as CrewChallenge from './crew-challenge/workflow.js';
import type * as CrewCommand from './crew/workflow.js';
import type * as GuestCampaign from './guest-campaign/workflow.js';
import type * as Member from './member/workflow.js';
import type * as Mentor from './mentor/workflow.js';
import type * as MentorshipMatch from './mentorship-match/workflow.js';
import type * as Bulk from './messaging/bulk.js';
import type * as Keyword from './messaging/keyword.js';
import type * as Message from './messaging/message.js';
import type * as Retention from './retention/workflow.js';
import type * as Erasure from './erasure/workflow.js';

type WorkflowModules =
  | typeof CrewChallenge
  | typeof CrewCommand
  | typeof GuestCampaign
  | typeof Member
  | typeof Mentor
  | typeof MentorshipMatch
  | typeof Bulk
  | typeof Keyword
  | typeof Message
  | typeof Retention
  | typeof Erasure;

/** The exported workflow functions of a module (by convention, named `…Workflow`). */
type WorkflowNames<M> = M extends unknown ? Extract<keyof M, `${string}Workflow`> : never;

type Unregistered = Exclude<WorkflowNames<WorkflowModules>, keyof typeof Registered>;
type Assert<T extends true> = T;

/** Fails to compile (naming the workflow) when a workflow function is not exported to the worker. */
export type EveryWorkflowRegistered = Assert<
  [Unregistered] extends [never] ? true : { notExportedFromWorkflowsIndex: Unregistered }
>;
