/**
 * The worker's own Temporal SDK metrics (issue 13): with WORKER_METRICS_ADDRESS the Runtime (worker/runtime.ts)
 * serves Prometheus metrics; after one workflow they include the SDK's workflow and task series. A child process,
 * because the test process's Runtime is already installed (without metrics).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../../worker/infra.js';
import { loadConfig } from '../../worker/config.js';
import { devServerEnv } from '../helpers/temporal.js';
import { dashboardMetricNames, parseSamples } from './metrics-text.js';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await devServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

it('WORKER_METRICS_ADDRESS is validated host:port', () => {
  expect(loadConfig({ WORKER_METRICS_ADDRESS: '0.0.0.0:9464' }).workerMetricsAddress).toBe('0.0.0.0:9464');
  expect(loadConfig({}).workerMetricsAddress).toBeUndefined();
  expect(() => loadConfig({ WORKER_METRICS_ADDRESS: 'http://x' })).toThrow(/WORKER_METRICS_ADDRESS/);
  expect(loadConfig({ WORKER_APP_METRICS_ADDRESS: '0.0.0.0:9465' }).workerAppMetricsAddress).toBe(
    '0.0.0.0:9465',
  );
  expect(loadConfig({}).workerAppMetricsAddress).toBeUndefined();
  expect(() => loadConfig({ WORKER_APP_METRICS_ADDRESS: '9465' })).toThrow(/WORKER_APP_METRICS_ADDRESS/);
});

it('OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on, with the service name; unset, tracing is off', () => {
  expect(loadConfig({}).tracing).toBeUndefined();
  expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' }).tracing).toEqual({
    endpoint: 'http://otel:4318',
    serviceName: undefined,
  });
  expect(
    loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318', OTEL_SERVICE_NAME: 'crewline-eu' }).tracing
      ?.serviceName,
  ).toBe('crewline-eu');
  expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(
    /OTEL_EXPORTER_OTLP_ENDPOINT/,
  );
});

it('the SDK serves its Prometheus metrics at the configured address after a workflow ran', async () => {
  const metricsAddress = `127.0.0.1:${await freePort()}`;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'test/infra/worker-metrics-probe.ts', env.address, metricsAddress],
    { timeout: 90_000 },
  );
  expect(stdout).toMatch(/^temporal_workflow_completed_total\{.*workflow_type="probe".*\} 1$/m);
  expect(stdout).toMatch(/^temporal_workflow_task_schedule_to_start_latency_bucket\{/m);
  expect(stdout).toMatch(/task_queue="metrics-probe"/);

  // Every Temporal SDK series the Grafana dashboard queries is one the SDK really serves (names as exported).
  const served = new Set(parseSamples(stdout).map((s) => s.name));
  const queried = dashboardMetricNames().filter((n) => n.startsWith('temporal_'));
  expect(queried.length).toBeGreaterThan(5);
  expect(queried.filter((n) => !served.has(n))).toEqual([]);
}, 120_000);
