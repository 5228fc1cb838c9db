/**
 * Every activity's error, made safe before it leaves the activity: before the SDK logs it ("Activity failed")
 * and before it is written into the workflow's history on the server.
 *
 * - A database error becomes an ApplicationFailure carrying only the classified summary (SQLSTATE, table,
 *   column, constraint; db/errors.ts) — never the query, its parameters or Postgres's `detail`. Input the
 *   database can never accept (22xxx data, 23xxx integrity, 54xxx limits) is non-retryable, so an activity
 *   given a NUL byte fails once instead of retrying forever; connection loss, deadlocks and serialization
 *   failures stay retryable.
 * - An ApplicationFailure the activity threw on purpose (e.g. `InvalidInput`) passes untouched, as do
 *   cancellation and asynchronous completion.
 * - Any other error keeps its class, name and retryability; phone numbers and e-mail addresses are scrubbed
 *   from its message, its stack and its causes' messages.
 */
import {
  ApplicationFailure,
  CancelledFailure,
  CompleteAsyncError,
  TemporalFailure,
  type Next,
} from '@temporalio/common';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
} from '@temporalio/worker';
import { classifyDbError, scrubText, type DbErrorKind } from '../db/errors.js';

/** ApplicationFailure types of sanitised database errors. */
export const DB_FAILURE_TYPES: Record<DbErrorKind, string> = {
  data: 'DatabaseDataError',
  integrity: 'DatabaseIntegrityError',
  limit: 'DatabaseLimitError',
  client: 'DatabaseClientError',
  transient: 'DatabaseUnavailable',
  other: 'DatabaseError',
};

function scrubInPlace(err: Error, depth = 0): void {
  try {
    err.message = scrubText(err.message, 2_000);
    if (err.stack) err.stack = scrubText(err.stack, 8_000);
  } catch {
    // a frozen error: its text is replaced below by the caller if needed
  }
  const cause = (err as { cause?: unknown }).cause;
  if (depth < 5 && cause instanceof Error) {
    const db = classifyDbError(cause);
    if (db) (err as { cause?: unknown }).cause = databaseFailure(cause);
    else scrubInPlace(cause, depth + 1);
  }
}

function databaseFailure(err: unknown): ApplicationFailure {
  const db = classifyDbError(err)!;
  const failure = ApplicationFailure.create({
    type: DB_FAILURE_TYPES[db.kind],
    message: db.message,
    nonRetryable: !db.retryable,
    details: [
      {
        code: db.code,
        ...(db.condition && { condition: db.condition }),
        ...(db.table && { table: db.table }),
        ...(db.column && { column: db.column }),
        ...(db.constraint && { constraint: db.constraint }),
      },
    ],
  });
  // The interceptor's own frames say nothing; the message is the whole story.
  failure.stack = `${failure.name}: ${failure.message}`;
  return failure;
}

/** The error an activity may let out: see the module comment. */
export function sanitizeActivityError(err: unknown): unknown {
  if (err instanceof CancelledFailure || err instanceof CompleteAsyncError) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  if (err instanceof TemporalFailure) {
    // Thrown on purpose (ApplicationFailure) or by the SDK: keep it, but never let a raw database error ride
    // along as its cause.
    if (err.cause && classifyDbError(err.cause))
      (err as { cause?: Error }).cause = databaseFailure(err.cause);
    return err;
  }
  if (classifyDbError(err)) return databaseFailure(err);
  if (err instanceof Error) {
    scrubInPlace(err);
    return err;
  }
  return new Error(scrubText(String(err)));
}

class SanitizingActivityInbound implements ActivityInboundCallsInterceptor {
  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    try {
      return await next(input);
    } catch (err) {
      throw sanitizeActivityError(err);
    }
  }
}

/** Registered on every worker (createWorkers). */
export const sanitizingActivityInterceptors: ActivityInterceptorsFactory = () => ({
  inbound: new SanitizingActivityInbound(),
});
