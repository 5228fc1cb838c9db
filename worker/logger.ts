import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/common';
import { pino, type DestinationStream, type Logger } from 'pino';
import { safeErrorSummary, scrubText } from '../db/errors.js';

/**
 * Structured logs. Phone numbers, message bodies and names are never logged: log ids instead. What slips
 * through anyway is caught here, on every line, at any depth:
 * - values under personal keys (phone, from, to, body, name, email, title, text…) become "[redacted]";
 * - an Error anywhere becomes its safe summary (db/errors.ts: name, code, scrubbed message; a database error
 *   only its SQLSTATE and object names, never the query, its parameters or Postgres's `detail`);
 * - every other string, and the message itself, is scrubbed of phone numbers and e-mail addresses; a string
 *   holding drizzle's query text ("Failed query: … params: …", e.g. an error's message or stack logged as a
 *   plain string) is withheld whole.
 */
const PERSONAL_KEYS = new Set(
  [
    'phone',
    'phoneNumber',
    'from',
    'to',
    'body',
    'name',
    'firstName',
    'lastName',
    'fullName',
    'email',
    'title',
    'text',
    'reflection',
    'note',
    'params',
    'parameters',
    'detail',
    'query',
  ].map((k) => k.toLowerCase()),
);

const REDACTED = '[redacted]';

/** drizzle's "Failed query: <sql>\nparams: <values>", as a message or at the head of a stack. */
const QUERY_TEXT = /Failed query:|\nparams: /;
export const WITHHELD = '[database query text withheld]';

/** A plain object that is an error by shape (e.g. `{ name, message, stack }` built by hand). */
function errorLike(v: Record<string, unknown>): boolean {
  return typeof v.message === 'string' && (typeof v.stack === 'string' || typeof v.name === 'string');
}

export function sanitizeLogValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return QUERY_TEXT.test(value) ? WITHHELD : scrubText(value, 2_000);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return safeErrorSummary(value);
  if (depth >= 6) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => sanitizeLogValue(v, depth + 1));
  if (value instanceof Date) return value;
  if (errorLike(value as Record<string, unknown>)) {
    const e = value as Record<string, unknown>;
    return {
      ...(typeof e.name === 'string' && { name: scrubText(e.name, 100) }),
      message: sanitizeLogValue(e.message),
      ...(typeof e.code === 'string' && { code: scrubText(e.code, 64) }),
    };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = PERSONAL_KEYS.has(k.toLowerCase()) && v != null ? REDACTED : sanitizeLogValue(v, depth + 1);
  }
  return out;
}

export function createLogger(level: string, name = 'crewline', destination?: DestinationStream): Logger {
  return pino(
    {
      name,
      level,
      // The formatter below turns errors into safe summaries; pino's own err serializer would only re-wrap them.
      serializers: { err: (v: unknown) => v, error: (v: unknown) => v },
      formatters: {
        log: (obj) => sanitizeLogValue(obj) as Record<string, unknown>,
      },
      hooks: {
        // The message (and any printf-style argument) is scrubbed like every other string.
        logMethod(args, method) {
          const clean = args.map((a, i) =>
            typeof a === 'string' || i > 0 ? sanitizeLogValue(a) : a,
          ) as Parameters<typeof method>;
          return method.apply(this, clean);
        },
      },
    },
    destination,
  );
}

const PINO_LEVEL = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
const SEVERITY: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * The Temporal SDK's logger (Runtime logger: worker lifecycle, "Activity failed" warnings, workflow `log`, the
 * native core's forwarded logs) writing through a pino logger, so every SDK line gets the same sanitising.
 * `target` is read on every call: the process's logger can be replaced (tests capture it).
 */
export function temporalLogger(
  target: () => { logger: Logger; level: LogLevel; benign?: readonly string[] },
): TemporalLogger {
  const log = (given: LogLevel, message: string, meta?: LogMetadata) => {
    const { logger, level: min, benign = [] } = target();
    const level = given === 'WARN' && benign.some((b) => message.startsWith(b)) ? 'DEBUG' : given;
    if (SEVERITY.indexOf(level) < SEVERITY.indexOf(min)) return;
    const fields = meta ? Object.fromEntries(Object.entries(meta)) : {};
    logger[PINO_LEVEL[level]]({ sdk: 'temporal', ...fields }, message);
  };
  return {
    log,
    trace: (m, meta) => log('TRACE', m, meta),
    debug: (m, meta) => log('DEBUG', m, meta),
    info: (m, meta) => log('INFO', m, meta),
    warn: (m, meta) => log('WARN', m, meta),
    error: (m, meta) => log('ERROR', m, meta),
  };
}

export type { Logger };
