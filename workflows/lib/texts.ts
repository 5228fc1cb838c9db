/** Compliance texts (CTIA): brand, frequency, "Msg & data rates may apply", HELP/STOP instructions. */
import { DEFAULT_TEXTS_PER_DAY } from '../messaging/daily-cap.js';
import { assertWithinBudget } from './segments.js';

export interface Brand {
  name: string;
  /** Where people get help: an email address or URL (never a personal number). */
  support: string;
  /**
   * MAX_TEXTS_PER_DAY: the frequency the opt-in text promises, and the per-phone daily cap the send gate enforces
   * (workflows/messaging/daily-cap.ts). Absent in inputs recorded before it existed: the default, 3.
   */
  textsPerDay?: number;
}

export function keywordReply(kind: 'opt_out' | 'opt_in' | 'help', brand: Brand): string {
  switch (kind) {
    case 'opt_out':
      return `${brand.name}: You are unsubscribed and will receive no more messages. Reply START to resubscribe.`;
    case 'opt_in':
      return `${brand.name}: You are subscribed to habit check-ins again. Msg frequency varies, up to ${brand.textsPerDay ?? DEFAULT_TEXTS_PER_DAY}/day. Msg & data rates may apply. Reply HELP for help, STOP to opt out.`;
    case 'help':
      return `${brand.name} habit check-ins. Help: ${brand.support}. Msg & data rates may apply. Reply STOP to opt out, START to opt back in.`;
  }
}

/** Every compliance text must fit this many segments. */
export const KEYWORD_REPLY_SEGMENTS = 2;

export function checkKeywordReplies(brand: Brand): void {
  for (const kind of ['opt_out', 'opt_in', 'help'] as const) {
    assertWithinBudget(`keyword reply ${kind}`, keywordReply(kind, brand), KEYWORD_REPLY_SEGMENTS);
  }
}

/** The one-time sign-in code a member asked for in the client app (api/routes/auth.ts). One segment. */
export function signInCodeText(brand: Brand, code: string, minutes: number): string {
  return `${brand.name}: your sign-in code is ${code}. It expires in ${minutes} min. Do not share it; we never ask for it.`;
}
