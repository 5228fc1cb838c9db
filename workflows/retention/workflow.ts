/**
 * `retention-purge`: one long-running workflow that purges expired personal data once a day (issue 12). It
 * sleeps until the purge hour (UTC), runs the purge activity with its own clock as `asOf`, and continues as new
 * every 30 runs. Operators can run it at once with the `purgeNow` signal and read the last result by query.
 */
import { condition, continueAsNew, proxyActivities, setHandler } from '@temporalio/workflow';
import type { createRetentionActivities } from '../../activities/retention.js';
import { DB_PURGE } from '../lib/activity-options.js';
import { purgeNowSignal, retentionStateQuery, type PurgeResult, type RetentionState } from './definitions.js';
import { nextPurgeAt } from './schedule.js';
import { DEFAULT_PURGE_HOUR_UTC } from './values.js';

const retention = proxyActivities<ReturnType<typeof createRetentionActivities>>(DB_PURGE);

/** Runs per workflow run before continue-as-new (about 8 history events a run). */
const RUNS_PER_CONTINUE = 30;

export interface RetentionInput {
  /** The purge hour until the first run reports the configured one. */
  hourUtc?: number;
  runs?: number;
  last?: PurgeResult | null;
}

export async function retentionPurgeWorkflow(input: RetentionInput = {}): Promise<void> {
  let hourUtc = input.hourUtc ?? DEFAULT_PURGE_HOUR_UTC;
  const state: RetentionState = { runs: input.runs ?? 0, last: input.last ?? null, nextRunAt: null };
  let now = false;
  setHandler(purgeNowSignal, () => void (now = true));
  setHandler(retentionStateQuery, () => state);

  for (let i = 0; i < RUNS_PER_CONTINUE; i++) {
    const at = nextPurgeAt(new Date(), hourUtc);
    state.nextRunAt = at.toISOString();
    await condition(() => now, at.getTime() - Date.now());
    now = false;
    const { hourUtc: configured, ...result } = await retention.purgeExpiredData({
      asOf: new Date().toISOString(),
    });
    hourUtc = configured;
    state.last = result;
    state.runs += 1;
  }
  await continueAsNew<typeof retentionPurgeWorkflow>({ hourUtc, runs: state.runs, last: state.last });
}
