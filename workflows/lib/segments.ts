/**
 * SMS segment maths (pure: no imports).
 *
 * - GSM-7 (3GPP TS 23.038 default alphabet): 160 septets in a single SMS, 153 per part when concatenated.
 *   Extension-table characters (form feed ^ { } \ [ ~ ] | €) cost 2 septets (ESC + char) and an escape pair
 *   is never split across parts.
 * - UCS-2 (used as soon as any character is outside GSM-7): 70 UTF-16 code units single, 67 per part;
 *   a surrogate pair (emoji etc.) is never split across parts, so a part may carry only 66 units.
 * - The empty string counts as 1 segment (an empty SMS is still one message).
 * No "smart encoding" is applied: curly quotes, en dashes, "…" etc. force UCS-2.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SegmentCount {
  encoding: SmsEncoding;
  /** GSM-7 septets (extension chars count 2) or UTF-16 code units. */
  units: number;
  segments: number;
}

// Basic character set (LF and CR included; ESC 0x1B deliberately excluded — it is not a printable character).
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
    '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
);
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€');

const LIMITS: Record<SmsEncoding, { single: number; part: number }> = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
};

function isGsm7Char(ch: string): boolean {
  return GSM7_BASIC.has(ch) || GSM7_EXTENSION.has(ch);
}

export function smsEncoding(text: string): SmsEncoding {
  for (const ch of text) if (!isGsm7Char(ch)) return 'UCS-2';
  return 'GSM-7';
}

/** Cost of one code point in the given encoding. */
function unitCost(ch: string, encoding: SmsEncoding): number {
  return encoding === 'GSM-7' ? (GSM7_EXTENSION.has(ch) ? 2 : 1) : ch.length;
}

export function countSegments(text: string): SegmentCount {
  const encoding = smsEncoding(text);
  const { single, part } = LIMITS[encoding];
  let units = 0;
  let segments = 1;
  let fill = 0; // units in the current concatenated part
  for (const ch of text) {
    const cost = unitCost(ch, encoding);
    units += cost;
    if (fill + cost > part) {
      segments++;
      fill = 0;
    }
    fill += cost;
  }
  // Everything fits in one un-headed message; otherwise the greedy part count above applies.
  return { encoding, units, segments: units <= single ? 1 : segments };
}

const ELLIPSIS_GSM = '...';
const ELLIPSIS_UCS = '…';

/**
 * Shortens `text` so that countSegments(result).segments <= maxSegments. Returns `text` unchanged if it
 * already fits. Otherwise cuts at the last word boundary (whitespace) that keeps at least 2/3 of the longest
 * possible cut, else mid-word; trailing whitespace and , ; : are dropped and an ellipsis is appended —
 * "..." when the kept text is GSM-7 (so it stays GSM-7), "…" when it is already UCS-2 — unless even the
 * ellipsis cannot fit, in which case the text is just cut.
 */
export function fitToSegments(text: string, maxSegments: number): string {
  if (!Number.isInteger(maxSegments) || maxSegments < 1) {
    throw new RangeError(`fitToSegments: maxSegments must be a positive integer, got ${maxSegments}`);
  }
  const fits = (s: string): boolean => countSegments(s).segments <= maxSegments;
  if (fits(text)) return text;

  const chars = Array.from(text); // code points, so surrogate pairs are never split
  const withEllipsis = (n: number): string => {
    const kept = chars
      .slice(0, n)
      .join('')
      .replace(/[\s,;:]+$/u, '');
    return kept + (smsEncoding(kept) === 'GSM-7' ? ELLIPSIS_GSM : ELLIPSIS_UCS);
  };

  // Fit is not monotonic in length (adding one emoji flips the whole text to UCS-2), so scan downwards from
  // the largest length that could possibly fit and keep the first (i.e. longest) prefix that does.
  const { single, part } = LIMITS['GSM-7'];
  const upper = Math.min(chars.length - 1, Math.max(single, part * maxSegments));
  let hard = -1;
  for (let n = upper; n > 0; n--) {
    if (fits(withEllipsis(n))) {
      hard = n;
      break;
    }
  }
  if (hard < 0) {
    // Not even one character plus an ellipsis fits (only possible for absurd inputs): plain cut.
    for (let n = upper; n > 0; n--) {
      const s = chars.slice(0, n).join('');
      if (fits(s)) return s;
    }
    return '';
  }

  // Prefer ending at a word boundary: the largest n <= hard where chars[n] is whitespace.
  for (let n = hard; n >= Math.ceil((hard * 2) / 3) && n > 0; n--) {
    if (/\s/u.test(chars[n] ?? '')) {
      const s = withEllipsis(n);
      if (s.length > ELLIPSIS_GSM.length && fits(s)) return s;
      break;
    }
  }
  return withEllipsis(hard);
}

/** Throws if `text` needs more than `maxSegments` segments; the message names the template and the culprits. */
export function assertWithinBudget(name: string, text: string, maxSegments: number): void {
  const { encoding, units, segments } = countSegments(text);
  if (segments <= maxSegments) return;
  const nonGsm = encoding === 'UCS-2' ? [...new Set(Array.from(text).filter((c) => !isGsm7Char(c)))] : [];
  const hint = nonGsm.length
    ? ` Non-GSM-7 characters forcing UCS-2: ${nonGsm
        .slice(0, 10)
        .map((c) => JSON.stringify(c))
        .join(' ')}.`
    : '';
  throw new Error(
    `SMS "${name}" is ${segments} segments (${encoding}, ${units} units), over its budget of ${maxSegments}.${hint}`,
  );
}
