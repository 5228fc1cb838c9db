/**
 * Issue 13, dashboards: ops/grafana/dashboards/crewline.json parses, and every Crewline series it queries is one
 * the code registers (API and worker registries, histograms by their `_bucket`/`_sum`/`_count` series), so the
 * dashboard cannot silently rot; every domain metric the code registers is on it. (The Temporal SDK's series are
 * checked against what the SDK really serves in worker-metrics.test.ts.)
 */
import { readFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { expect, it } from 'vitest';
import { createApiMetrics } from '../../api/metrics.js';
import { createWorkerRegistry } from '../../worker/metrics.js';
import { dashboardExprs, dashboardMetricNames, DASHBOARD_PATH } from './metrics-text.js';

const noTemporal = {
  connection: { withDeadline: <T>(_d: number, fn: () => Promise<T>) => fn() },
  workflow: { count: async () => ({ count: 0, groups: [] }) },
} as unknown as Client;

/** Series names each registered metric exports, and whether it is a process metric (prom-client defaults). */
async function registered(): Promise<{ series: Set<string>; domain: string[] }> {
  const registries = [
    createApiMetrics({ processMetrics: true, temporal: noTemporal }).registry,
    createWorkerRegistry({ processMetrics: true }).registry,
  ];
  const series = new Set<string>();
  const domain: string[] = [];
  for (const r of registries) {
    for (const m of await r.getMetricsAsJSON()) {
      const suffixes =
        String(m.type) === 'histogram'
          ? ['_bucket', '_sum', '_count']
          : String(m.type) === 'summary'
            ? ['', '_sum', '_count']
            : [''];
      for (const s of suffixes) series.add(m.name + s);
      if (!/^crewline_(api|worker)_/.test(m.name)) domain.push(m.name);
    }
  }
  return { series, domain };
}

it('parses, and every panel queries Prometheus through the provisioned data source', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as {
    uid: string;
    panels: { type: string; datasource?: { uid: string }; targets?: unknown[] }[];
  };
  expect(dashboard.uid).toBe('crewline');
  const graphs = dashboard.panels.filter((p) => p.type !== 'row');
  expect(graphs.length).toBeGreaterThan(10);
  for (const p of graphs) {
    expect(p.datasource?.uid).toBe('prometheus');
    expect(p.targets?.length).toBeGreaterThan(0);
  }
  const datasources = readFileSync(
    new URL('../../ops/grafana/provisioning/datasources/prometheus.yml', import.meta.url),
    'utf8',
  );
  expect(datasources).toMatch(/uid: prometheus\b/);
});

it('every Crewline series the dashboard queries is registered by the code', async () => {
  const { series } = await registered();
  const queried = dashboardMetricNames().filter((n) => n.startsWith('crewline_'));
  expect(queried.length).toBeGreaterThan(10);
  expect(queried.filter((n) => !series.has(n))).toEqual([]);
});

it('every domain metric the code registers has a panel', async () => {
  const { domain } = await registered();
  const exprs = dashboardExprs().map((e) => e.expr);
  const missing = domain.filter(
    (name) => !exprs.some((e) => new RegExp(`\\b${name}(_bucket|_sum|_count)?\\b`).test(e)),
  );
  expect(missing).toEqual([]);
});

it('the dashboard covers HTTP, SMS, pacing, inbound, workflows, AI and the Temporal SDK', () => {
  const names = dashboardMetricNames();
  for (const family of [
    'crewline_http_',
    'crewline_sms_sent',
    'crewline_sms_failed',
    'crewline_sms_pacing_lag',
    'crewline_inbound_to_workflow',
    'crewline_workflows',
    'crewline_ai_cost',
    'temporal_',
  ])
    expect(
      names.some((n) => n.startsWith(family)),
      family,
    ).toBe(true);
});
