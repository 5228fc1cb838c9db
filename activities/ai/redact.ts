/**
 * Personal-data redaction for every text that leaves for OpenAI (pure: no I/O).
 *
 * Replaced, in this order:
 * - e-mail addresses                                   → [email]
 * - UUIDs (member and other record ids)                → [id]
 * - phone-number shapes: E.164 (+14155550123), national and international formats with spaces, dots,
 *   dashes or parentheses (+1 (415) 555-0123, 415.555.0123, 0044 20 7946 0958 …) — any run of digits and
 *   such separators holding 7 or more digits, except a plain date (2026-11-23, 23.11.2026) → [phone]
 * - the given names (the member's full name and each part of it), case-insensitively, as whole words
 *   (Unicode-aware: "Ana" is redacted in "ana's" but not in "banana" or "Anatomy") → [name]
 *
 * Over-redaction is preferred to a leak: a long number that is not a phone number is still replaced.
 */

export const REDACTED = {
  email: '[email]',
  id: '[id]',
  phone: '[phone]',
  name: '[name]',
} as const;

export interface RedactOptions {
  /** Names to remove (e.g. the member's name); blanks are ignored. */
  names?: ReadonlyArray<string | null | undefined>;
}

const EMAIL = /[\p{L}\p{N}._%+'-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
const UUID =
  /(?<![\p{L}\p{N}])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![\p{L}\p{N}])/giu;
/**
 * A candidate number: optional "+" or "00" prefix, then digits and bracketed area codes joined by at most one
 * separator (space, dot, dash, slash, en/em dash) each. Candidates with fewer than 7 digits are kept.
 */
const NUMBERISH = /(?<!\p{N})(?:\+\s?)?(?:\(\d{1,5}\)\s?)?\d(?:[\s./\u2010-\u2015-]?(?:\(\d{1,5}\)|\d))*/gu;
const DATE_SHAPE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/u;
const MIN_PHONE_DIGITS = 7;

/** Name parts that are too common as ordinary words to redact on their own (the full name still is). */
const NAME_PARTICLES = new Set([
  'de',
  'del',
  'della',
  'der',
  'den',
  'di',
  'da',
  'do',
  'dos',
  'du',
  'la',
  'las',
  'le',
  'los',
  'van',
  'von',
  'y',
  'e',
  'bin',
  'ibn',
]);

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The strings to redact for a name: the full name, then each part (longest first). */
export function nameVariants(name: string | null | undefined): string[] {
  const full = (name ?? '').normalize('NFC').replace(/\s+/gu, ' ').trim();
  if (!full) return [];
  const parts = full
    .split(/[\s-]+/u)
    .map((p) => p.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}.]+$/gu, ''))
    .filter((p) => Array.from(p).length >= 2 && !NAME_PARTICLES.has(p.toLowerCase()));
  return [...new Set([full, ...parts])].sort((a, b) => b.length - a.length);
}

function redactPhones(text: string): string {
  return text.replace(NUMBERISH, (match) => {
    const digits = match.replace(/\D/g, '').length;
    return digits < MIN_PHONE_DIGITS || DATE_SHAPE.test(match) ? match : REDACTED.phone;
  });
}

function redactNames(text: string, names: ReadonlyArray<string | null | undefined>): string {
  const variants = [...new Set(names.flatMap((n) => nameVariants(n)))].sort((a, b) => b.length - a.length);
  if (variants.length === 0) return text;
  const pattern = new RegExp(
    `(?<![\\p{L}\\p{M}\\p{N}_])(?:${variants.map(escapeRegExp).join('|')})(?![\\p{L}\\p{M}\\p{N}_])`,
    'giu',
  );
  return text.normalize('NFC').replace(pattern, REDACTED.name);
}

/** Removes e-mail addresses, ids, phone numbers and the given names from `text`. Idempotent. */
export function redact(text: string, opts: RedactOptions = {}): string {
  let out = text.replace(EMAIL, REDACTED.email);
  out = out.replace(UUID, REDACTED.id);
  out = redactPhones(out);
  return redactNames(out, opts.names ?? []);
}

/** Whether `text` holds contact details (an e-mail address or a phone number). */
export function containsContactInfo(text: string): boolean {
  return text.search(EMAIL) >= 0 || redactPhones(text) !== text;
}
