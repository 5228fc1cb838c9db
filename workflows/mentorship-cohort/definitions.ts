/**
 * The cohort workflow's (`mentorship-cohort-<id>`) messages and payloads. Side-effect free: the API imports it.
 * An operator opens a cohort for a window; requests join it; at the window's end (or when the operator assigns
 * early) the whole cohort is assigned at once by the optimiser, every pair through the mentor's capacity update.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CandidateIn } from '../mentorship-match/definitions.js';
import type { CohortReport } from './report.js';

export const COHORT_STATUSES = ['collecting', 'assigning', 'assigned'] as const;
export type CohortStatus = (typeof COHORT_STATUSES)[number];

export const COHORT_LIMITS = {
  /** Requests one cohort takes. */
  maxRequests: 2_000,
  /** Window length bounds (hours) and the default. */
  minWindowHours: 1,
  maxWindowHours: 24 * 30,
  defaultWindowHours: 24,
} as const;

export interface CohortWorkflowInput {
  cohortId: string;
  /** Hours from the workflow's start until the window closes (the API passes this: the workflow's clock). */
  windowHours?: number;
  /** Or the ISO instant the window closes. The cohort is assigned then (or earlier, by the operator). */
  closesAt?: string;
}

/** One request's plan, from the optimiser (ids and scores only). */
export interface CohortPlanEntry {
  matchId: string;
  /**
   * The optimiser's pick first, then the next best fitting mentors; empty = nothing fits. Each sealed under the
   * mentor's and the request's mentee's keys (ids readable); flat in histories from before.
   */
  choices: CandidateIn[];
  /** The request's best score over all mentors with a free slot, or null. */
  firstChoiceScore: number | null;
}

export interface CohortAssignmentView {
  matchId: string;
  mentorId: string | null;
  score: number | null;
  /** The assigned mentor scores as high as the request's best. */
  firstChoice: boolean;
  /** The optimiser's pick was refused by capacity and a next best mentor took the request. */
  fallback: boolean;
  /** Why it went to the operator queue (no mentor). */
  reason: string | null;
}

export interface CohortSnapshot {
  cohortId: string;
  status: CohortStatus;
  closesAt: string;
  requests: string[];
  assignments: CohortAssignmentView[];
  report: CohortReport | null;
}

/** A request joins the cohort (while collecting; at most `maxRequests`). Joining twice is a no-op. */
export const joinCohortUpdate = defineUpdate<CohortSnapshot, [{ matchId: string }]>('joinCohort');
/** The operator closes the window now and assigns; answers when every request has its assignment. */
export const assignCohortUpdate = defineUpdate<CohortSnapshot, []>('assignCohort');
export const cohortStateQuery = defineQuery<CohortSnapshot>('cohortState');
