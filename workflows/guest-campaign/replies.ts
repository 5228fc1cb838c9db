/**
 * Replies from guests (pure: the API's conversation routing and the tests import it). A campaign text expects a
 * reply for REPLY_WINDOW_MS, under `accepts: campaign_reply:<campaign id>`; what comes back is an RSVP-style yes
 * or no when the whole text is one of the words below (any case, surrounding punctuation, whitespace or emoji
 * ignored), else free text (`other`). STOP/START/HELP never get here: they are keywords, handled as everywhere.
 */
import { normalize } from '../lib/keywords.js';

export const RSVP_ANSWERS = ['yes', 'no', 'other'] as const;
export type RsvpAnswer = (typeof RSVP_ANSWERS)[number];

/** How long after its send a campaign text takes replies (an RSVP can come days later). */
export const REPLY_WINDOW_MS = 7 * 24 * 3_600_000;

const ACCEPTS_PREFIX = 'campaign_reply:';
export const campaignReplyAccepts = (campaignId: string): string => `${ACCEPTS_PREFIX}${campaignId}`;
/** The campaign an expectation's `accepts` belongs to, or null (another kind of conversation). */
export const campaignOfAccepts = (accepts: string): string | null =>
  accepts.startsWith(ACCEPTS_PREFIX) ? accepts.slice(ACCEPTS_PREFIX.length) : null;

const YES = new Set(['Y', 'YES', 'YEP', 'YEAH', 'YUP', 'SURE', 'OK', 'OKAY', 'SI', 'OUI', 'JA', 'ATTENDING']);
const NO = new Set(['N', 'NO', 'NOPE', 'NAH', 'NON', 'NEIN', 'DECLINE', 'DECLINED']);
const YES_EMOJI = new Set(['👍', '✅', '✔', '✔️']);
const NO_EMOJI = new Set(['👎', '❌']);

export function classifyRsvp(body: string): RsvpAnswer {
  const text = normalize(body).trim();
  if (YES_EMOJI.has(text)) return 'yes';
  if (NO_EMOJI.has(text)) return 'no';
  const core = text
    .replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toUpperCase();
  if (YES.has(core)) return 'yes';
  if (NO.has(core)) return 'no';
  return 'other';
}
