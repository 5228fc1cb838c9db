/**
 * A server span per HTTP request (OpenTelemetry API only: the composition root registers a tracer provider when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set, worker/tracing.ts). Continues a caller's W3C `traceparent`; named by the
 * route pattern, never the concrete path; carries no query, header or body. Everything the request does —
 * the Temporal client's signal or start above all — runs inside it, so the trace continues into the workflow.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';

const tracer = trace.getTracer('crewline-api');

export const tracingMiddleware: MiddlewareHandler = async (c, next) => {
  const carrier: Record<string, string> = {};
  c.req.raw.headers.forEach((v, k) => {
    if (k === 'traceparent' || k === 'tracestate') carrier[k] = v;
  });
  const parent = propagation.extract(context.active(), carrier);
  await tracer.startActiveSpan(
    c.req.method,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': c.req.method } },
    parent,
    async (span) => {
      try {
        await next();
      } finally {
        let route = 'unmatched';
        try {
          const p = routePath(c, -1);
          if (p && p !== '*' && p !== '/*') route = p;
        } catch {
          // no route matched
        }
        span.updateName(`${c.req.method} ${route}`);
        span.setAttribute('http.route', route);
        span.setAttribute('http.response.status_code', c.res.status);
        if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    },
  );
};
