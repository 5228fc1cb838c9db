/** Messages of the retention purge workflow, imported by the API and tests. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { RetentionClass } from './values.js';

export interface PurgeResult {
  /** The moment the cutoffs were computed from (the workflow's clock). */
  asOf: string;
  /** Rows purged (bodies blanked or rows deleted) per class. */
  purged: Record<RetentionClass, number>;
}

export interface RetentionState {
  runs: number;
  last: PurgeResult | null;
  nextRunAt: string | null;
}

/** Run a purge now (operators), then go back to the daily time. */
export const purgeNowSignal = defineSignal('purgeNow');
export const retentionStateQuery = defineQuery<RetentionState>('state');
