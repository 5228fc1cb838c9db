/**
 * Request atoms shared by every route: phone numbers, time zones, local times and dates, ids, cursors, limits and
 * free text. Each one refuses what Postgres or an SMS cannot carry, with a message naming what is expected, and
 * carries its OpenAPI description (the document at /openapi.json is generated from these schemas).
 */
import { z } from '@hono/zod-openapi';

/** Largest id Postgres `integer`/`serial` columns hold: a bigger one can never exist, so it is a 400, not a 500. */
export const MAX_INT_ID = 2_147_483_647;

/**
 * Characters Postgres text or an SMS cannot carry: NUL and the other C0 controls (tab, line feed and carriage
 * return are fine), DEL, and UTF-16 surrogates that are not part of a pair (they are not valid Unicode).
 */
const UNSAFE_TEXT =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const isSafeText = (s: string): boolean => !UNSAFE_TEXT.test(s);

const UNSAFE_MESSAGE = 'must not contain control characters (such as NUL) or unpaired surrogates';

/** Free text a person typed: trimmed, 1..max characters, no characters that Postgres or SMS cannot carry. */
export function text(max: number, opts: { min?: number } = {}) {
  return z
    .string()
    .refine(isSafeText, UNSAFE_MESSAGE)
    .transform((s) => s.trim())
    .pipe(
      z
        .string()
        .min(opts.min ?? 1, 'is required')
        .max(max, `at most ${max} characters`),
    )
    .openapi({
      type: 'string',
      minLength: opts.min ?? 1,
      maxLength: max,
      // Documents the refusal of control characters (tab, line feed and carriage return are allowed).
      pattern: '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$',
    });
}

export const e164 = z
  .string()
  .regex(/^\+[1-9]\d{7,14}$/, 'must be an E.164 phone number such as +14155550123')
  .openapi({ example: '+14155550123', description: 'E.164 phone number' });

/** The canonical IANA name of a zone (`US/Eastern` → `America/New_York`, `utc` → `UTC`), or null if unknown. */
export function canonicalTimeZone(tz: string): string | null {
  if (tz.trim() === '' || tz !== tz.trim() || /^[+-]/.test(tz) || !isSafeText(tz)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

/** An IANA time zone, stored in canonical form. */
export const timeZone = z
  .string()
  .max(64, 'must be an IANA time zone such as America/New_York')
  .transform((tz, ctx) => {
    const canonical = canonicalTimeZone(tz);
    if (canonical === null) {
      ctx.addIssue({ code: 'custom', message: 'must be an IANA time zone such as America/New_York' });
      return z.NEVER;
    }
    return canonical;
  })
  .openapi({
    type: 'string',
    maxLength: 64,
    example: 'America/New_York',
    description: 'IANA time zone; stored and returned in canonical form (US/Eastern → America/New_York)',
  });

export const hhmm = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time "HH:MM" (00:00–23:59)')
  .openapi({ example: '19:00', description: 'local time HH:MM, 00:00–23:59' });

/** True when `YYYY-MM-DD` names a day that exists (no 2026-02-31). */
export function isRealDate(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(2000, mo - 1, d));
  date.setUTCFullYear(y);
  return y >= 1 && date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** A local calendar date `YYYY-MM-DD` that really exists. */
export const localDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a local date YYYY-MM-DD')
  .refine(isRealDate, 'must be a date that exists (YYYY-MM-DD)')
  .openapi({ format: 'date', example: '2026-12-01' });

export const uuid = (what: string) =>
  z
    .uuid(`must be ${what} (UUID)`)
    .openapi({ format: 'uuid', example: '3f1c2a4e-0000-4000-8000-000000000000' });

/** Largest id a `bigserial` column can hand to JavaScript without losing precision. */
export const MAX_BIGINT_ID = Number.MAX_SAFE_INTEGER;

/**
 * A positive integer id (path or query: digits), at most `max` (the largest id its column can hold): a bigger one
 * can never exist, so it is a 400, never a database error.
 */
export const intId = (what: string, max: number = MAX_INT_ID) =>
  z
    .string()
    .transform((v, ctx) => {
      const n = /^\d{1,16}$/.test(v) ? Number(v) : NaN;
      if (!(Number.isSafeInteger(n) && n >= 1 && n <= max)) {
        ctx.addIssue({ code: 'custom', message: `must be ${what} (a whole number from 1 to ${max})` });
        return z.NEVER;
      }
      return n;
    })
    .openapi({ type: 'integer', minimum: 1, maximum: max, description: `${what}, 1–${max}` });

/** `limit` of a list: digits, 1..max, default when absent. */
export const limit = (defaultValue: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return defaultValue;
      const n = /^\d{1,4}$/.test(v) ? Number(v) : NaN;
      if (!(n >= 1 && n <= max)) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from 1 to ${max}` });
        return z.NEVER;
      }
      return n;
    })
    .openapi({
      type: 'integer',
      minimum: 1,
      maximum: max,
      default: defaultValue,
      description: `page size, 1–${max} (default ${defaultValue})`,
    });

/** Query flag `true` | `false`. */
export const boolFlag = z.enum(['true', 'false']);

/** The member id path parameter. */
export const memberIdParam = z.object({
  id: uuid('a member id').openapi({ param: { name: 'id', in: 'path' } }),
});
