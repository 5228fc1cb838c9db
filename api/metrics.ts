/**
 * The API's Prometheus metrics (prom-client), one registry per app: request count and latency by method, route
 * pattern (never the concrete path: ids would explode the series) and status; inbound texts routed and their
 * latency from webhook to workflow (recorded by api/inbound.ts, from the webhook and the inbox drainer); and
 * workflows by type and status, counted through Temporal visibility when scraped (cached, bounded).
 */
import type { Client } from '@temporalio/client';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Every workflow type the worker runs (test/unit/metrics.test.ts checks it against workflows/index.ts). */
export const WORKFLOW_TYPES = [
  'memberWorkflow',
  'crewChallengeWorkflow',
  'crewCommandWorkflow',
  'mentorWorkflow',
  'mentorshipMatchWorkflow',
  'mentorshipCohortWorkflow',
  'bulkMessageWorkflow',
  'keywordWorkflow',
  'messageWorkflow',
  'guestCampaignWorkflow',
  'retentionPurgeWorkflow',
  'erasureWorkflow',
  'phoneErasureWorkflow',
] as const;

/** Temporal's execution statuses as visibility names them (the `status` label), e.g. Running, Completed. */
const VISIBILITY_TIMEOUT_MS = 2_000;
/** Workflow counts are re-read at most this often, however often Prometheus scrapes. */
export const WORKFLOW_COUNTS_TTL_MS = 30_000;

/** webhook: as the text arrives; handoff: right after the older text of its number; drainer: later. */
export type InboundVia = 'webhook' | 'handoff' | 'drainer';

export function createApiMetrics(
  opts: { processMetrics?: boolean; temporal?: Client; workflowCountsTtlMs?: number } = {},
) {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'crewline_api_' });
  const registers = [registry];
  const requests = new Counter({
    name: 'crewline_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'crewline_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const inboundRouted = new Counter({
    name: 'crewline_inbound_routed_total',
    help: 'Inbound texts by how they were routed (webhook at once, or the inbox drainer later), kind and outcome',
    labelNames: ['via', 'kind', 'outcome'] as const,
    registers,
  });
  const inboundLatency = new Histogram({
    name: 'crewline_inbound_to_workflow_seconds',
    help: 'From the inbound webhook received (row stored) to the signal or keyword workflow delivered',
    labelNames: ['via', 'kind'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  // One refresh per TTL, shared by the gauge and the failure counter (a scrape collects them concurrently).
  let refresh: (() => Promise<void>) | undefined;
  let last = new Map<string, number>();
  let failures = 0;
  if (opts.temporal) {
    const temporal = opts.temporal;
    const ttl = opts.workflowCountsTtlMs ?? WORKFLOW_COUNTS_TTL_MS;
    let readAt = -Infinity;
    let reading: Promise<void> | undefined;
    refresh = () => {
      if (!reading && performance.now() - readAt >= ttl) {
        readAt = performance.now();
        reading = countWorkflows(temporal)
          .then(
            (counts) => {
              last = counts;
            },
            () => {
              failures++;
            },
          )
          .finally(() => {
            reading = undefined;
          });
      }
      return reading ?? Promise.resolve();
    };
    new Gauge({
      name: 'crewline_workflows',
      help: 'Workflows by type and execution status (Temporal visibility count, refreshed at most every 30 s)',
      labelNames: ['type', 'status'] as const,
      registers,
      async collect() {
        await refresh?.();
        this.reset();
        for (const [key, n] of last) {
          const [type, status] = key.split('\u0000') as [string, string];
          this.set({ type, status }, n);
        }
      },
    });
  }
  new Gauge({
    name: 'crewline_workflow_count_failures',
    help: 'Temporal visibility count reads that failed since start (the workflows gauge keeps its last values)',
    registers,
    async collect() {
      await refresh?.();
      this.set(failures);
    },
  });

  const middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    await next();
    let route = 'unmatched';
    try {
      const p = routePath(c, -1);
      if (p && p !== '*' && p !== '/*') route = p;
    } catch {
      // no route matched
    }
    const labels = { method: c.req.method, route, status: String(c.res.status) };
    requests.inc(labels);
    duration.observe(labels, (performance.now() - started) / 1000);
  };

  const inbound: InboundMetrics = {
    routed(via, kind, outcome, receivedAt) {
      const k = kind === 'message' ? 'message' : 'keyword';
      inboundRouted.inc({ via, kind: k, outcome });
      if (outcome === 'routed' && receivedAt)
        inboundLatency.observe({ via, kind: k }, Math.max(0, Date.now() - receivedAt.getTime()) / 1000);
    },
  };

  return { registry, middleware, inbound };
}
export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/** What api/inbound.ts records for each text it routes (or fails to). */
export interface InboundMetrics {
  routed(via: InboundVia, kind: string, outcome: string, receivedAt?: Date): void;
}

/** One visibility count per workflow type, grouped by status; every (type, status) seen, with zeros omitted. */
async function countWorkflows(temporal: Client): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  await temporal.connection.withDeadline(Date.now() + VISIBILITY_TIMEOUT_MS, async () => {
    for (const type of WORKFLOW_TYPES) {
      const res = await temporal.workflow.count(`WorkflowType = '${type}' GROUP BY ExecutionStatus`);
      for (const g of res.groups) {
        const status = String(g.groupValues[0] ?? 'Unknown');
        counts.set(`${type}\u0000${status}`, g.count);
      }
    }
  });
  return counts;
}
