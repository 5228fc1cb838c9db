/**
 * Issue 13, metrics: `crewline_workflows{type,status}` on the API's /metrics comes from Temporal visibility count
 * queries (one per workflow type, grouped by status), re-read at most once per TTL however often Prometheus
 * scrapes; a failed count keeps the last values and is counted. Against the real dev server (its SQL visibility).
 */
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiMetrics, WORKFLOW_TYPES } from '../../api/metrics.js';
import * as workflows from '../../workflows/index.js';
import { devServerEnv, waitFor } from '../helpers/temporal.js';
import { valueOf } from './metrics-text.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
}, 120_000);
afterAll(async () => {
  await env?.teardown();
});

it('WORKFLOW_TYPES names every workflow the worker runs', () => {
  expect([...WORKFLOW_TYPES].sort()).toEqual(Object.keys(workflows).sort());
});

it('counts workflows by type and status from visibility', async () => {
  // No worker polls this queue: the workflows stay Running until terminated.
  const start = (type: string, n: number) =>
    env.client.workflow.start(type, {
      taskQueue: 'metrics-count',
      workflowId: `${type}-count-${n}`,
      args: [],
    });
  await start('memberWorkflow', 1);
  await start('memberWorkflow', 2);
  const ended = await start('guestCampaignWorkflow', 3);
  await ended.terminate('test');

  const metrics = createApiMetrics({ temporal: env.client, workflowCountsTtlMs: 0 });
  const text = await waitFor(async () => {
    const t = await metrics.registry.metrics();
    return (
      valueOf(t, 'crewline_workflows', { type: 'memberWorkflow', status: 'Running' }) === 2 &&
      valueOf(t, 'crewline_workflows', { type: 'guestCampaignWorkflow', status: 'Terminated' }) === 1 &&
      t
    );
  }, 'the visibility counts');
  expect(valueOf(text, 'crewline_workflows', { type: 'guestCampaignWorkflow', status: 'Running' })).toBe(0);
  expect(valueOf(text, 'crewline_workflow_count_failures')).toBe(0);
}, 60_000);

it('reads visibility at most once per TTL, and keeps the last counts when a read fails', async () => {
  let calls = 0;
  let fail = false;
  const temporal = {
    connection: { withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn() },
    workflow: {
      count: async (query: string) => {
        calls++;
        if (fail) throw new Error('unavailable');
        return {
          count: 4,
          groups: query.includes("'memberWorkflow'") ? [{ count: 4, groupValues: ['Running'] }] : [],
        };
      },
    },
  } as unknown as Client;
  const metrics = createApiMetrics({ temporal, workflowCountsTtlMs: 60_000 });
  const first = await metrics.registry.metrics();
  expect(valueOf(first, 'crewline_workflows', { type: 'memberWorkflow', status: 'Running' })).toBe(4);
  expect(calls).toBe(WORKFLOW_TYPES.length);
  await metrics.registry.metrics();
  expect(calls).toBe(WORKFLOW_TYPES.length); // within the TTL: no new query

  const refreshing = createApiMetrics({ temporal, workflowCountsTtlMs: 0 });
  await refreshing.registry.metrics();
  fail = true;
  const stale = await refreshing.registry.metrics();
  expect(valueOf(stale, 'crewline_workflows', { type: 'memberWorkflow', status: 'Running' })).toBe(4);
  expect(valueOf(stale, 'crewline_workflow_count_failures')).toBe(1);
});
