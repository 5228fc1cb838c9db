/**
 * The worker's domain metrics (prom-client), recorded by the activities: SMS outcomes by kind and provider error
 * code, pacing lag, AI calls, tokens and cost by model. The worker serves them on WORKER_APP_METRICS_ADDRESS
 * (worker/metrics.ts); the Temporal SDK's own metrics stay on WORKER_METRICS_ADDRESS.
 *
 * Labels are bounded: message kinds and purposes are code constants (normalised here all the same), provider
 * codes are Twilio's numeric error codes, models come from configuration. Never a phone number, a body or an id.
 */
import { Counter, Histogram, Registry } from 'prom-client';

/** A label value from a code-made string or a model name: lower case, [a-z0-9_.-], at most 40 characters. */
export function labelValue(v: string | number | null | undefined, none = 'none'): string {
  if (v === null || v === undefined || v === '') return none;
  const s = String(v)
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, '_')
    .slice(0, 40);
  return s || none;
}

/** A drop reason's family: `suppressed:opt_out,invalid_number` → `suppressed`. */
export const reasonFamily = (reason: string): string => labelValue(reason.split(':')[0]);

export function createWorkerMetrics(registry: Registry = new Registry()) {
  const registers = [registry];
  return {
    registry,
    smsSent: new Counter({
      name: 'crewline_sms_sent_total',
      help: 'Texts accepted by the SMS provider, by kind and purpose',
      labelNames: ['kind', 'purpose'] as const,
      registers,
    }),
    smsFailed: new Counter({
      name: 'crewline_sms_failed_total',
      help: 'Texts that failed for good at the provider (not retried), by kind, provider error code and failure class',
      labelNames: ['kind', 'code', 'failure_class'] as const,
      registers,
    }),
    smsProviderErrors: new Counter({
      name: 'crewline_sms_provider_errors_total',
      help: 'Every provider error on a send attempt (retried or not), by kind, provider error code and failure class',
      labelNames: ['kind', 'code', 'failure_class'] as const,
      registers,
    }),
    smsDeferred: new Counter({
      name: 'crewline_sms_deferred_total',
      help: 'Sends deferred by the compliance gate (the workflow sleeps and asks again), by kind and reason',
      labelNames: ['kind', 'reason'] as const,
      registers,
    }),
    smsDropped: new Counter({
      name: 'crewline_sms_dropped_total',
      help: 'Sends dropped by the compliance gate (suppressed, no consent, unknown recipient), by kind and reason',
      labelNames: ['kind', 'reason'] as const,
      registers,
    }),
    pacingLag: new Histogram({
      name: 'crewline_sms_pacing_lag_seconds',
      help: 'How late a paced send left after its planned release slot',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    pacingWait: new Histogram({
      name: 'crewline_sms_pacing_wait_seconds',
      help: 'How long a paced send waited for its slot (the sender queue, seen from one send)',
      buckets: [0, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    aiCalls: new Counter({
      name: 'crewline_ai_calls_total',
      help: 'OpenAI calls by model, operation and outcome (ok, error, refused, budget)',
      labelNames: ['model', 'operation', 'outcome'] as const,
      registers,
    }),
    aiTokens: new Counter({
      name: 'crewline_ai_tokens_total',
      help: 'OpenAI tokens by model and type (prompt, completion)',
      labelNames: ['model', 'type'] as const,
      registers,
    }),
    aiCost: new Counter({
      name: 'crewline_ai_cost_usd_total',
      help: 'OpenAI spend in USD by model (tokens × the price table in activities/ai/usage.ts)',
      labelNames: ['model'] as const,
      registers,
    }),
  };
}
export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
