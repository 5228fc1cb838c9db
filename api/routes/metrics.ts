/** GET /metrics: the API's Prometheus metrics (text exposition format), for keys with `metrics:read`. */
import { createRoute, z } from '@hono/zod-openapi';
import type { ApiMetrics } from '../metrics.js';
import { createRouter, problems } from '../openapi.js';

const metricsRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['Operations'],
  summary: 'Prometheus metrics of this API process (request counts and latency by route and status)',
  responses: {
    200: {
      description: 'Prometheus text exposition format',
      content: { 'text/plain': { schema: z.string() } },
    },
    ...problems(),
  },
});

export function metricsRouter(metrics: ApiMetrics) {
  return createRouter().openapi(metricsRoute, async (c) =>
    c.text(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
}
