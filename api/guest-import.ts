/**
 * Guest import rows (JSON objects or CSV records) → normalised guests and rejected rows. Phones are normalised to
 * E.164 with libphonenumber-js (a national number needs `defaultCountry`); the zone is the row's own (IANA,
 * canonical) or derived from the number; consent evidence is source + time + the text the guest agreed to — a
 * row without all three is imported as "no consent" and never texted.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { zoneFromNumber } from '../workflows/guest-campaign/zones.js';
import { canonicalTimeZone, isSafeText } from './schemas/atoms.js';

export const MAX_IMPORT_ROWS = 100_000;
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const RESERVED = new Set(['phone', 'name', 'timezone', 'consent_source', 'consent_at', 'consent_text']);

export interface ImportRow {
  phone: string;
  name?: string | null;
  timezone?: string | null;
  variables?: Record<string, string>;
  consent?: { source: string; at: string; text: string } | null;
}

export interface NormalisedGuest {
  row: number;
  phone: string;
  name: string | null;
  timezone: string;
  variables: Record<string, string>;
  consent: { source: string; at: Date; text: string } | null;
}

export type RejectReason =
  | 'invalid_number'
  | 'duplicate'
  | 'invalid_timezone'
  | 'unknown_timezone'
  | 'invalid_variable'
  | 'invalid_consent'
  | 'invalid_text';

export interface RejectedRow {
  /** 1-based position of the row in the import (CSV: the data row, the header not counted). */
  row: number;
  reason: RejectReason;
  detail: string;
}

const clean = (s: string | null | undefined): string | null => {
  const t = s?.trim();
  return t ? t : null;
};

/** Normalise rows; duplicates (same E.164 number) inside the import are rejected after the first. */
export function normaliseRows(
  rows: ImportRow[],
  defaultCountry?: CountryCode,
): { guests: NormalisedGuest[]; rejected: RejectedRow[] } {
  const guests: NormalisedGuest[] = [];
  const rejected: RejectedRow[] = [];
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const row = i + 1;
    const reject = (reason: RejectReason, detail: string) => rejected.push({ row, reason, detail });
    const texts = [
      r.phone,
      r.name,
      r.timezone,
      ...Object.values(r.variables ?? {}),
      ...Object.values(r.consent ?? {}),
    ];
    if (texts.some((t) => typeof t === 'string' && !isSafeText(t)))
      return reject('invalid_text', 'contains control characters or unpaired surrogates');
    const parsed = parsePhoneNumberFromString(r.phone ?? '', defaultCountry);
    if (!parsed || !parsed.isValid()) return reject('invalid_number', 'phone: not a valid phone number');
    const phone = parsed.number;
    if (seen.has(phone)) return reject('duplicate', 'phone: appears earlier in this import');
    const given = clean(r.timezone);
    let timezone: string | null;
    if (given) {
      timezone = canonicalTimeZone(given);
      if (!timezone) return reject('invalid_timezone', 'timezone: not an IANA time zone');
    } else {
      timezone = zoneFromNumber(phone, parsed.country);
      if (!timezone)
        return reject('unknown_timezone', 'timezone: cannot be derived from the number; give one');
    }
    const variables: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.variables ?? {})) {
      if (!VARIABLE.test(k) || RESERVED.has(k))
        return reject('invalid_variable', `variables.${k.slice(0, 64)}: not a usable variable name`);
      if (typeof v !== 'string' || v.length > 500)
        return reject('invalid_variable', `variables.${k}: must be text of at most 500 characters`);
      variables[k] = v.trim();
    }
    let consent: NormalisedGuest['consent'] = null;
    const c = r.consent;
    if (c && (clean(c.source) || clean(c.at) || clean(c.text))) {
      const at = new Date(c.at ?? '');
      if (!clean(c.source) || !clean(c.text) || Number.isNaN(at.getTime()))
        return reject('invalid_consent', 'consent: needs source, text and a valid time (ISO 8601)');
      consent = { source: c.source.trim(), at, text: c.text.trim() };
    }
    const name = clean(r.name);
    if (name && name.length > 100) return reject('invalid_text', 'name: at most 100 characters');
    seen.add(phone);
    guests.push({ row, phone, name, timezone, variables, consent });
  });
  return { guests, rejected };
}

/**
 * CSV with a header row: `phone` (required), `name`, `timezone`, `consent_source`, `consent_at`, `consent_text`;
 * every other column is a template variable. Throws CsvError on a file that is not CSV or has no phone column.
 */
export class CsvError extends Error {}

export function csvRows(csv: string): ImportRow[] {
  let records: Record<string, string>[];
  let columns: string[] = [];
  try {
    records = parseCsv(csv, {
      columns: (header: string[]) => (columns = header.map((h) => h.trim())),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: false,
      to: MAX_IMPORT_ROWS + 1,
    });
  } catch (err) {
    throw new CsvError(`not valid CSV: ${(err as { code?: string }).code ?? 'parse error'}`);
  }
  if (records.length > MAX_IMPORT_ROWS) throw new CsvError(`at most ${MAX_IMPORT_ROWS} rows per import`);
  if (!columns.includes('phone')) throw new CsvError('the header has no "phone" column');
  return records.map((rec) => {
    const variables: Record<string, string> = {};
    for (const [k, v] of Object.entries(rec)) if (!RESERVED.has(k)) variables[k] = v;
    const hasConsent = rec.consent_source || rec.consent_at || rec.consent_text;
    return {
      phone: rec.phone ?? '',
      name: rec.name ?? null,
      timezone: rec.timezone ?? null,
      variables,
      consent: hasConsent
        ? { source: rec.consent_source ?? '', at: rec.consent_at ?? '', text: rec.consent_text ?? '' }
        : null,
    };
  });
}
