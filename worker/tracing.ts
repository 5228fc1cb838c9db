/**
 * OpenTelemetry traces, exported over OTLP (http/protobuf) only when OTEL_EXPORTER_OTLP_ENDPOINT is set — otherwise
 * nothing here is loaded into the request path (no provider, no interceptors, no workflow interceptor module).
 *
 * One trace follows a text: the API's server span for the request (api/tracing.ts) → the Temporal client's span
 * for the signal or start (OpenTelemetryWorkflowClientInterceptor, context in the Temporal headers) → the
 * workflow's handling of it (workflow interceptors, spans exported from the sandbox through the `exporter` sink)
 * → the activities it schedules (activity interceptors). Temporal's own interceptors
 * (@temporalio/interceptors-opentelemetry, the same version as the SDK) do the propagation.
 */
import { createRequire } from 'node:module';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { ClientInterceptors } from '@temporalio/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';
import type { OpenTelemetryWorkflowExporter } from '@temporalio/interceptors-opentelemetry';

const require = createRequire(import.meta.url);

/** The workflow-side interceptors (spans in the sandbox), bundled with the workflows when tracing is on. */
export const OTEL_WORKFLOW_INTERCEPTORS =
  require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export interface TracingConfig {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  /** OTEL_SERVICE_NAME, else crewline-api / crewline-worker. */
  serviceName?: string | undefined;
}

export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Flushes what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Registers the process's tracer provider (async-hooks context, W3C trace context) around a span processor:
 * `startTracing('crewline-api', config)` exports to OTLP; tests pass their own processor (an in-memory exporter).
 */
export function startTracing(
  serviceName: string,
  target: TracingConfig | { spanProcessor: SpanProcessor },
): Tracing {
  const spanProcessor =
    'spanProcessor' in target
      ? target.spanProcessor
      : new BatchSpanProcessor(
          new OTLPTraceExporter({ url: `${target.endpoint.replace(/\/$/, '')}/v1/traces` }),
        );
  const name = ('serviceName' in target && target.serviceName) || serviceName;
  const resource = new Resource({ 'service.name': name });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return { resource, spanProcessor, shutdown: () => provider.shutdown() };
}

/** For the API's Temporal client: a span per start/signal/update/query, its context sent in the headers. */
export function tracingClientInterceptors(): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

/** What a worker adds when tracing is on: workflow interceptor module, activity interceptors, the span sink. */
export function tracingWorkerOptions(tracing: Tracing): {
  workflowModules: string[];
  activity: ActivityInterceptorsFactory[];
  sinks: InjectedSinks<{ exporter: OpenTelemetryWorkflowExporter }>;
} {
  return {
    workflowModules: [OTEL_WORKFLOW_INTERCEPTORS],
    activity: [
      (ctx) => ({
        inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
        outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
      }),
    ],
    sinks: { exporter: makeWorkflowExporter(tracing.spanProcessor, tracing.resource) },
  };
}
