/**
 * The API's Prometheus metrics (prom-client), one registry per app: request count and latency by method, route
 * pattern (never the concrete path: ids would explode the series) and status.
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export function createApiMetrics(opts: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'crewline_api_' });
  const requests = new Counter({
    name: 'crewline_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'crewline_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
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

  return { registry, middleware };
}
export type ApiMetrics = ReturnType<typeof createApiMetrics>;
