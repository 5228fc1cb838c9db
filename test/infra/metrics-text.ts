/**
 * Reading Prometheus text exposition in tests (one sample by name and a subset of its labels), and the metric
 * names the Grafana dashboard queries.
 */
import { readFileSync } from 'node:fs';

export const DASHBOARD_PATH = new URL('../../ops/grafana/dashboards/crewline.json', import.meta.url);

interface Panel {
  type?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every PromQL expression of the dashboard, panel by panel (rows' nested panels included). */
export function dashboardExprs(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as {
    panels: (Panel & { title: string })[];
  };
  const out: { panel: string; expr: string }[] = [];
  const walk = (panels: (Panel & { title?: string })[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ panel: p.title ?? '', expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** The metric names (series as exported: `_bucket`, `_total` included) the dashboard's expressions read. */
export function dashboardMetricNames(): string[] {
  const names = new Set<string>();
  for (const { expr } of dashboardExprs())
    for (const m of expr.matchAll(/\b(?:crewline|temporal)_[a-z0-9_]+/g)) names.add(m[0]);
  return [...names].sort();
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export function parseSamples(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** The sum of every sample named `name` whose labels include `labels` (0 when there is none). */
export function valueOf(text: string, name: string, labels: Record<string, string> = {}): number {
  return parseSamples(text)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Whether any sample named `name` has all of `labels`. */
export function hasSeries(text: string, name: string, labels: Record<string, string> = {}): boolean {
  return parseSamples(text).some(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
}
