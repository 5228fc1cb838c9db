/**
 * Traces through queued replies. A signal handler only queues the text; the main loop handles it later, outside
 * the handler's OpenTelemetry context — so the acknowledgement's activity would hang off the workflow's run, not
 * off the text that caused it. This keeps the context active when each reply was queued (in memory, never in
 * workflow state or history) and handles the reply inside it.
 *
 * Deterministic either way: without the OpenTelemetry workflow interceptors (tracing off, replay) the API's
 * context manager is a no-op — `context.active()` is the root context and `context.with` just calls the function.
 * Nothing here creates a command; only activity headers carry the context.
 */
import { context, type Context } from '@opentelemetry/api';

export function replyTraces() {
  const kept = new Map<number, Context>();
  return {
    /** In the signal handler: remember the signal's trace context for this reply; returns the reply. */
    keep<R extends { inboundId: number }>(reply: R): R {
      kept.set(reply.inboundId, context.active());
      return reply;
    },
    /** In the main loop: handle the reply inside the context it arrived in (once; then forgotten). */
    within<T>(reply: { inboundId: number }, fn: () => Promise<T>): Promise<T> {
      const ctx = kept.get(reply.inboundId);
      kept.delete(reply.inboundId);
      return ctx ? context.with(ctx, fn) : fn();
    },
  };
}
