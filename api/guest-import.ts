/**
 * Guest import rows (JSON objects or CSV records) → normalised guests and rejected rows. Phones are normalised to
 * E.164 with libphonenumber-js (a national number needs `defaultCountry`); the zone is the row's own (IANA,
 * canonical) or derived from the number; consent evidence is source + time + the text the guest agreed to — a
 * row without all three is imported as "no consent" and never texted.
 */
import type { Hash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError as CsvParseError, parse as parseCsvStream } from 'csv-parse';
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import { zoneFromNumber } from '../workflows/guest-campaign/zones.js';
import type { RejectReason } from '../db/guest-imports-schema.js';
import { canonicalTimeZone, isSafeText } from './schemas/atoms.js';

export const MAX_IMPORT_ROWS = 100_000;
/** Largest body of `POST /guest-lists/{id}/imports` (CSV or JSON); every other route keeps the API's 64 KiB. */
export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;
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

export type { RejectReason };

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

/**
 * Normalises rows one at a time, as they are read (a streamed CSV never needs its raw rows in memory): duplicates
 * (same E.164 number) inside the import are rejected after the first. Guests and rejections come out in row order.
 */
export class ImportNormaliser {
  /**
   * Normalised guests not yet taken, each packed into one JSON string (row order): a 100,000-row upload is held
   * until its content key is known, and a string is a few hundred bytes where the object graph (object, nested
   * objects, a Date, a string per field) is several times that — the API's peak memory on an import.
   */
  private readonly packed: string[] = [];
  private readonly packedRows: number[] = [];
  readonly rejected: RejectedRow[] = [];
  private readonly seen = new Set<string>();
  private rows = 0;

  constructor(private readonly defaultCountry?: CountryCode) {}

  /** Rows received so far. */
  get received(): number {
    return this.rows;
  }

  /** The normalised guests not yet taken, in row order. */
  get guests(): NormalisedGuest[] {
    return this.packed.map(unpackGuest);
  }

  /**
   * Removes and returns the guests and rejected rows up to data row `lastRow` (they come out in row order): the
   * writer hands each batch over and drops it, so the import's memory shrinks as its batches are committed.
   */
  takeThrough(lastRow: number): { guests: NormalisedGuest[]; rejected: RejectedRow[] } {
    const count = (rows: readonly number[]) => {
      let k = 0;
      while (k < rows.length && rows[k]! <= lastRow) k++;
      return k;
    };
    const g = count(this.packedRows);
    this.packedRows.splice(0, g);
    const r = count(this.rejected.map((x) => x.row));
    return { guests: this.packed.splice(0, g).map(unpackGuest), rejected: this.rejected.splice(0, r) };
  }

  add(r: ImportRow): void {
    this.rows += 1;
    const row = this.rows;
    const outcome = normaliseRow(r, this.defaultCountry, this.seen);
    if ('reason' in outcome) this.rejected.push({ row, ...outcome });
    else {
      this.seen.add(outcome.phone);
      this.packed.push(packGuest({ row, ...outcome }));
      this.packedRows.push(row);
    }
  }
}

const packGuest = (g: NormalisedGuest): string =>
  JSON.stringify([
    g.row,
    g.phone,
    g.name,
    g.timezone,
    g.variables,
    g.consent && [g.consent.source, g.consent.at.toISOString(), g.consent.text],
  ]);

const unpackGuest = (s: string): NormalisedGuest => {
  const [row, phone, name, timezone, variables, consent] = JSON.parse(s) as [
    number,
    string,
    string | null,
    string,
    Record<string, string>,
    [string, string, string] | null,
  ];
  return {
    row,
    phone,
    name,
    timezone,
    variables,
    consent: consent && { source: consent[0], at: new Date(consent[1]), text: consent[2] },
  };
};

/** Normalise rows; duplicates (same E.164 number) inside the import are rejected after the first. */
export function normaliseRows(
  rows: ImportRow[],
  defaultCountry?: CountryCode,
): { guests: NormalisedGuest[]; rejected: RejectedRow[] } {
  const n = new ImportNormaliser(defaultCountry);
  for (const r of rows) n.add(r);
  return { guests: n.guests, rejected: n.rejected };
}

function normaliseRow(
  r: ImportRow,
  defaultCountry: CountryCode | undefined,
  seen: ReadonlySet<string>,
): Omit<NormalisedGuest, 'row'> | Omit<RejectedRow, 'row'> {
  const reject = (reason: RejectReason, detail: string) => ({ reason, detail });
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
    if (!timezone) return reject('unknown_timezone', 'timezone: cannot be derived from the number; give one');
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
  return { phone, name, timezone, variables, consent };
}

/**
 * CSV with a header row: `phone` (required), `name`, `timezone`, `consent_source`, `consent_at`, `consent_text`;
 * every other column is a template variable. CsvError: a file that is not CSV, has no phone column, or has more
 * than MAX_IMPORT_ROWS rows.
 */
export class CsvError extends Error {}

const recordToRow = (rec: Record<string, string>): ImportRow => {
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
};

/**
 * Stream-parse a CSV body (csv-parse's streaming API) and hand each row to `onRow` as it is read. Also hashes
 * the bytes (the import's content key). Throws CsvError on bad CSV, before or after some rows were handed over —
 * the caller writes nothing until the whole body has been read.
 */
export async function readCsv(
  body: ReadableStream<Uint8Array> | null,
  hash: Hash,
  onRow: (row: ImportRow) => void,
): Promise<number> {
  if (!body) throw new CsvError('is required (a CSV with a header row)');
  let headerSeen = false;
  const parser = parseCsvStream({
    columns: (header: string[]) => {
      headerSeen = true;
      const columns = header.map((h) => h.trim());
      if (!columns.includes('phone')) throw new CsvError('the header has no "phone" column');
      return columns;
    },
    skip_empty_lines: true,
    trim: true,
    bom: true,
    relax_column_count: false,
  });
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const source = Readable.fromWeb(body);
  const piped = pipeline(source, hashing, parser).catch(() => {}); // errors surface through the iterator below
  let rows = 0;
  try {
    for await (const rec of parser as AsyncIterable<Record<string, string>>) {
      rows += 1;
      if (rows > MAX_IMPORT_ROWS) throw new CsvError(`at most ${MAX_IMPORT_ROWS} rows per import`);
      onRow(recordToRow(rec));
    }
  } catch (err) {
    source.destroy();
    if (err instanceof CsvError) throw err;
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof CsvError) throw cause;
    // csv-parse's own errors (bad quotes, ragged rows…): the body is not valid CSV.
    if (err instanceof CsvParseError) throw new CsvError(`not valid CSV: ${err.code}`);
    throw err;
  }
  await piped;
  if (!headerSeen) throw new CsvError('is required (a CSV with a header row)');
  return rows;
}
