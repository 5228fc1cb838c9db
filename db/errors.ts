/**
 * Database errors, classified and made safe to log.
 *
 * A failed query reaches us as drizzle's DrizzleQueryError ("Failed query: <sql>\nparams: <every value>") wrapping
 * postgres.js's PostgresError, whose `detail` ("Key (phone)=(+14155550123) already exists"), `where`, `query`,
 * `parameters` and even `message` (`invalid input syntax for type uuid: "<value>"`) can echo personal data. The
 * summary here keeps only what identifies the failure: the SQLSTATE code and its name, and the schema object names
 * Postgres reports (table, column, constraint). Nothing else of the original error is copied.
 *
 * Classes (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * - `data` (22xxx: NUL byte 22021, \u0000 in jsonb 22P05, value too long 22001…) and `integrity` (23xxx: unique,
 *   foreign key, not null, check) and `limit` (54xxx: e.g. a value too large for an index row): the same input
 *   fails the same way every time → never retried.
 * - `transient`: connection loss (08xxx, the client's CONNECTION_* codes, ECONNREFUSED…), serialization failure
 *   40001, deadlock 40P01, shutdown/cannot connect now 57P01–57P03, too many connections 53xxx, lock not
 *   available 55P03, statement timeout 57014 → retried.
 * - `other`: anything else the database reports (e.g. 42P01, a migration not applied yet) → retried, bounded by
 *   the caller's retry policy.
 */

export type DbErrorKind = 'data' | 'integrity' | 'limit' | 'transient' | 'client' | 'other';

export interface DbErrorSummary {
  kind: DbErrorKind;
  /** SQLSTATE, or the client library's / socket's error code. */
  code: string;
  /** The condition name of the SQLSTATE when known, e.g. `unique_violation`. */
  condition?: string;
  table?: string;
  column?: string;
  constraint?: string;
  /** Whether trying the same thing again can succeed. */
  retryable: boolean;
  /** One line made only of the fields above. */
  message: string;
}

/** Condition names of the SQLSTATEs worth naming (the rest show their code and class). */
const CONDITIONS: Record<string, string> = {
  '08000': 'connection_exception',
  '08003': 'connection_does_not_exist',
  '08006': 'connection_failure',
  '08001': 'sqlclient_unable_to_establish_sqlconnection',
  '08004': 'sqlserver_rejected_establishment_of_sqlconnection',
  '22001': 'string_data_right_truncation',
  '22003': 'numeric_value_out_of_range',
  '22007': 'invalid_datetime_format',
  '22008': 'datetime_field_overflow',
  '22012': 'division_by_zero',
  '22021': 'character_not_in_repertoire',
  '22023': 'invalid_parameter_value',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23000': 'integrity_constraint_violation',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '23P01': 'exclusion_violation',
  '25P02': 'in_failed_sql_transaction',
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '42P01': 'undefined_table',
  '42703': 'undefined_column',
  '53000': 'insufficient_resources',
  '53100': 'disk_full',
  '53200': 'out_of_memory',
  '53300': 'too_many_connections',
  '54000': 'program_limit_exceeded',
  '55P03': 'lock_not_available',
  '57014': 'query_canceled',
  '57P01': 'admin_shutdown',
  '57P02': 'crash_shutdown',
  '57P03': 'cannot_connect_now',
};

/** postgres.js's own codes for a lost or refused connection, and the socket errors beneath them. */
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** postgres.js refusing a query before sending it: the same call is refused again. */
const CLIENT_INPUT_CODES = new Set(['UNDEFINED_VALUE', 'MAX_PARAMETERS_EXCEEDED', 'NOT_TAGGED_CALL']);

const SQLSTATE = /^[0-9A-Z]{5}$/;

type Loose = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
/** Identifiers only: schema object names never hold values, but cap and check them anyway. */
const ident = (v: unknown): string | undefined => {
  const s = str(v);
  return s && /^[\w$.-]{1,128}$/.test(s) ? s : undefined;
};

function isPostgresError(e: Loose): boolean {
  return e.name === 'PostgresError' && typeof e.code === 'string' && SQLSTATE.test(e.code);
}

/** drizzle's wrapper: its message is the SQL text and every parameter value. */
export function isDrizzleQueryError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const l = e as unknown as Loose;
  return ('query' in l && 'params' in l) || e.message.startsWith('Failed query:');
}

function causes(err: unknown): Loose[] {
  const out: Loose[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 8 && cur && typeof cur === 'object' && !out.includes(cur as Loose); i++) {
    out.push(cur as Loose);
    cur = (cur as Loose).cause;
  }
  return out;
}

export function classifySqlState(code: string): { kind: DbErrorKind; retryable: boolean } {
  const cls = code.slice(0, 2);
  if (cls === '22') return { kind: 'data', retryable: false };
  if (cls === '23') return { kind: 'integrity', retryable: false };
  if (cls === '54') return { kind: 'limit', retryable: false };
  if (
    cls === '08' ||
    cls === '53' ||
    code === '40001' ||
    code === '40P01' ||
    code === '55P03' ||
    code === '57014' ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03'
  )
    return { kind: 'transient', retryable: true };
  return { kind: 'other', retryable: true };
}

function describe(s: Omit<DbErrorSummary, 'message'>): string {
  const what =
    s.kind === 'transient'
      ? 'database unavailable'
      : s.kind === 'client'
        ? 'database client refused the query'
        : 'database error';
  const parts = [`${what}: ${s.code}${s.condition ? ` ${s.condition}` : ''}`];
  if (s.table) parts.push(`table ${s.table}`);
  if (s.column) parts.push(`column ${s.column}`);
  if (s.constraint) parts.push(`constraint ${s.constraint}`);
  return parts.join(', ');
}

/**
 * The safe summary of a database error anywhere in `err`'s cause chain, or undefined when `err` is not one.
 * Never copies a message, detail, query or parameter.
 */
export function classifyDbError(err: unknown): DbErrorSummary | undefined {
  const chain = causes(err);
  const pg = chain.find(isPostgresError);
  if (pg) {
    const code = pg.code as string;
    const base = {
      ...classifySqlState(code),
      code,
      ...(CONDITIONS[code] && { condition: CONDITIONS[code] }),
      ...(ident(pg.table_name) && { table: ident(pg.table_name) }),
      ...(ident(pg.column_name) && { column: ident(pg.column_name) }),
      ...(ident(pg.constraint_name) && { constraint: ident(pg.constraint_name) }),
    };
    return { ...base, message: describe(base) };
  }
  for (const e of chain) {
    const code = str(e.code);
    if (code && CONNECTION_CODES.has(code)) {
      const base = { kind: 'transient' as const, retryable: true, code };
      return { ...base, message: describe(base) };
    }
    if (code && CLIENT_INPUT_CODES.has(code)) {
      const base = { kind: 'client' as const, retryable: false, code };
      return { ...base, message: describe(base) };
    }
  }
  // A drizzle wrapper around something else: nothing of it is safe to repeat.
  if (chain.some((e) => isDrizzleQueryError(e))) {
    const base = { kind: 'other' as const, retryable: true, code: 'UNKNOWN' };
    return { ...base, message: describe(base) };
  }
  return undefined;
}

/**
 * Phone numbers (E.164 with or without separators, US-formatted, bare runs of 10–15 digits) and e-mail
 * addresses. Ids such as Twilio's SM…/AC… (digits inside a word), dates and times are left readable.
 */
const PHONES = [
  /\+\d[\d\s().-]{5,20}\d/g,
  /(?<![\w-])\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?![\w-])/g,
  /(?<![\w.-])\d{10,15}(?![\w-])/g,
];
const EMAIL = /[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g;
export function scrubText(text: string, max = 500): string {
  let scrubbed = text.replace(EMAIL, '[email]');
  for (const re of PHONES) scrubbed = scrubbed.replace(re, '[number]');
  return scrubbed.length > max ? `${scrubbed.slice(0, max)}…` : scrubbed;
}

export interface SafeErrorSummary {
  name: string;
  message: string;
  code?: string;
  kind?: DbErrorKind;
  table?: string;
  column?: string;
  constraint?: string;
  retryable?: boolean;
  /** ApplicationFailure type, when it is one. */
  type?: string;
}

/**
 * What may be logged about any error: a database error becomes its classified summary; anything else keeps its
 * name and code with a message scrubbed of phone numbers and e-mail addresses (and capped). Never the stack,
 * never `detail`, never the cause's text for a database error. Use it wherever an error is logged (the API's
 * onError included).
 */
export function safeErrorSummary(err: unknown): SafeErrorSummary {
  const db = classifyDbError(err);
  if (db) {
    return {
      name: 'DatabaseError',
      message: db.message,
      code: db.code,
      kind: db.kind,
      retryable: db.retryable,
      ...(db.table && { table: db.table }),
      ...(db.column && { column: db.column }),
      ...(db.constraint && { constraint: db.constraint }),
    };
  }
  if (err instanceof Error) {
    const l = err as unknown as Loose;
    const code = str(l.code) ?? (typeof l.code === 'number' ? String(l.code) : undefined);
    const type = str(l.type);
    return {
      name: err.name,
      message: scrubText(err.message),
      ...(code && { code: scrubText(code, 64) }),
      ...(type && { type: scrubText(type, 64) }),
    };
  }
  return { name: typeof err, message: scrubText(String(err)) };
}
