/**
 * Revocation in plain words (FCC 24-24: consent may be revoked "by any reasonable means"). Pure: no I/O.
 *
 * The exact compliance keywords (STOP, UNSUBSCRIBE, …) stay in keywords.ts `classifyInbound`. This module adds
 * whole-message phrasings in English and Spanish that ask us to stop texting: "please stop texting me",
 * "unsubscribe me", "no more messages", "dejen de enviarme mensajes", "darme de baja".
 *
 * How a text is read (every step is a plain string rule, so a reader can predict the result):
 *   1. normalise: NFKC, lower case, accents removed ("más" → "mas"), apostrophes dropped ("don't" → "dont"),
 *      every other non-letter/digit becomes a space, spaces collapsed;
 *   2. courtesy words are peeled off both ends, repeatedly: "please", "pls", "hey", "ok", "por favor",
 *      "gracias", "thanks", "now", "anymore", "ever again", "ya", … (LEADING / TRAILING below);
 *   3. what remains must be EXACTLY one of the phrases (PHRASES below, small alternations expanded) or an exact
 *      keyword repeated ("stop stop").
 *
 * Anything longer is a conversation, not a revocation: "stop by later", "I can't stop smiling", "no more
 * excuses", "N stopped early", "stop texting me so early" (a wish about timing, answered by the workflow) all
 * stay messages. Erring the other way would opt out a member who was answering a check-in.
 */
import { normalize } from './keywords.js';

/** The inbound `keyword` (and suppression detail) recorded for a revocation in plain words. */
export const REVOCATION_KEYWORD = 'PLAIN_WORDS';

/** The words the exact keyword classifier knows (keywords.ts); "please stop" and "stop stop" opt out. */
const BARE_KEYWORDS = new Set([
  'stop',
  'stopall',
  'stop all',
  'unsubscribe',
  'cancel',
  'end',
  'quit',
  'revoke',
  'optout',
  'opt out',
]);

/** Peeled off the start, longest first. */
const LEADING = [
  'hey there',
  'hi there',
  'hello',
  'hey',
  'hi',
  'hola',
  'ok',
  'okay',
  'please',
  'pls',
  'plz',
  'por favor',
  'can you',
  'could you',
  'would you',
  'will you',
  'can you please',
  'i need you to',
  'i want you to',
  'just',
  'oye',
  'puedes',
  'pueden',
  'seriously',
];

/** Peeled off the end, longest first. */
const TRAILING = [
  'please',
  'pls',
  'plz',
  'thanks',
  'thank you',
  'thx',
  'ty',
  'now',
  'right now',
  'immediately',
  'asap',
  'anymore',
  'any more',
  'again',
  'ever again',
  'for good',
  'forever',
  'at all',
  'already',
  'ok',
  'okay',
  'por favor',
  'gracias',
  'ya',
  'ahora',
  'ahora mismo',
  'nunca mas',
];

const THEM =
  '(?:texts|text messages|messages|msgs|sms|reminders|notifications|alerts|check ins|checkins|prompts)';
const SEND =
  '(?:texting|txting|texing|messaging|sending|contacting|sms ing|smsing|sending texts to|sending messages to)';
const ME = '(?:me|us|this number|my number|my phone)';
const US = '(?:this|these|your|the|all|all your|all the|all of these|all these)';
const LIST =
  '(?:list|lists|mailing list|texting list|text list|sms list|contact list|subscription|service|program)';

/** English phrasings (a full match of the peeled text). */
const ENGLISH = [
  // stop / quit / cease …
  `(?:stop|quit|cease) ${SEND}(?: ${ME})?(?: (?:${US} )?${THEM})?`,
  `(?:stop|quit|end|cancel) (?:${US} )?${THEM}`,
  `(?:stop|quit) it`,
  `(?:make it|make them|make this) stop`,
  // don't text me
  `(?:dont|do not|never) (?:text|txt|message|msg|contact|sms) ${ME}`,
  `(?:dont|do not|never) (?:send me|send) (?:any |more |any more )?${THEM}`,
  // unsubscribe / opt out / remove
  `(?:unsubscribe|unsub|unsuscribe|unsubcribe|unsubscribe me|unsub me|unenroll me|opt me out|opt out|take me off|remove me|delete me|cancel me|sign me off|sign me out)(?: (?:of|from|off) (?:${US} |my )?(?:${LIST}|${THEM}|everything|it|all|crewline))?`,
  `(?:take|remove|delete|drop) (?:me|my number|this number) (?:off|from) (?:${US} |my )?(?:${LIST}|${THEM}|everything)`,
  `(?:i )?(?:want|wanna|would like|id like|need) to (?:unsubscribe|unsub|opt out|be removed|be taken off(?: ${US} ${LIST})?|stop (?:receiving|getting) (?:${US} )?${THEM}|cancel(?: my ${LIST}| ${US} ${THEM})?)`,
  `(?:i )?(?:dont|do not|no longer) (?:want|wish to receive|want to receive|want to get|need) (?:${US} |any |any more |more )?${THEM}`,
  `(?:i )?(?:dont|do not|no longer) want (?:to be texted|to get texts|to hear from you|this)`,
  `(?:cancel|end) my (?:${LIST}|${THEM})`,
  `(?:no|not) (?:more|further|any more) ${THEM}`,
  `(?:enough|too many) ${THEM}`,
  `leave me alone`,
  `lose my number`,
  `delete my number`,
  `wrong number`,
  `(?:you have|you ve got|youve got) the wrong number`,
  `(?:i )?(?:revoke|withdraw) (?:my )?consent`,
  `(?:i )?(?:opt|opted) out`,
  `i quit`,
];

const SEND_ES =
  '(?:enviarme|mandarme|escribirme|textearme|contactarme|enviar|mandar|escribir|molestarme|enviarnos|mandarnos)';
const THEM_ES = '(?:mensajes|mensajes de texto|textos|sms|recordatorios|notificaciones|alertas)';
const SUBJ_ES =
  '(?:envies|envien|envie|mandes|manden|mande|escribas|escriban|escriba|textees|texteen|contactes|contacten)';

/** Spanish phrasings (accents already removed). */
const SPANISH = [
  `(?:alto|parar|detener|detente|basta|baja|cancelar|desuscribir|desuscribirme|anular)`,
  `(?:deja|dejen|dejar|deje|para|paren|parar) de ${SEND_ES}(?: ${THEM_ES})?`,
  `(?:no|ya no) (?:me |nos )?${SUBJ_ES}(?: mas)?(?: ${THEM_ES})?(?: mas)?`,
  `(?:no|ya no) (?:quiero|deseo|necesito) (?:recibir |mas |recibir mas )?${THEM_ES}(?: mas)?`,
  `(?:no|ya no) (?:quiero|deseo) (?:que me ${SUBJ_ES}(?: mas)?(?: ${THEM_ES})?|mas)`,
  `no mas ${THEM_ES}`,
  `(?:darme|dame|denme|me quiero dar|quiero darme|quiero que me den|deseo darme) de baja(?: de (?:la lista|los ${THEM_ES}|este servicio|todo))?`,
  `(?:cancelar|cancela|cancelen|anular) (?:mi |la )?(?:suscripcion|subscripcion|${THEM_ES})`,
  `(?:sacame|sacarme|quitame|quitarme|borrame|borrarme|eliminame|eliminarme|elimina mi numero|borra mi numero)(?: de (?:la|tu|su|esta) lista| de (?:sus|tus|los) ${THEM_ES})?`,
  `(?:quiero|deseo) (?:cancelar|desuscribirme|salir|salirme)(?: de (?:la lista|esto|todo|los ${THEM_ES}))?`,
  `no molestar`,
  `numero equivocado`,
  `dejame en paz`,
  `dejenme en paz`,
];

const PHRASES = new RegExp(`^(?:${[...ENGLISH, ...SPANISH].join('|')})$`, 'u');

const longestFirst = (xs: string[]) => [...xs].sort((a, b) => b.length - a.length);
const LEADING_SORTED = longestFirst(LEADING);
const TRAILING_SORTED = longestFirst(TRAILING);

/** Step 1: normalise to lower-case ASCII-ish words separated by single spaces. */
export function normalizePhrase(body: string): string {
  return normalize(body)
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{M}/gu, '') // accents
    .replace(/['’‘`´]/gu, '') // don't → dont
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Step 2: peel courtesy words off both ends until nothing more comes off. */
function peel(s: string): string {
  let prev: string;
  do {
    prev = s;
    for (const w of LEADING_SORTED) {
      if (s.startsWith(`${w} `)) {
        s = s.slice(w.length + 1);
        break;
      }
    }
    for (const w of TRAILING_SORTED) {
      if (s.endsWith(` ${w}`)) {
        s = s.slice(0, -(w.length + 1));
        break;
      }
    }
  } while (s !== prev);
  return s;
}

/**
 * Whether the whole text asks us to stop texting (in plain words, English or Spanish). Exact keywords are
 * matched too, so this is true for everything `classifyInbound` calls an opt-out and for more.
 */
export function isRevocation(body: string): boolean {
  const core = peel(normalizePhrase(body));
  if (core === '') return false;
  if (BARE_KEYWORDS.has(core)) return true;
  // "stop stop", "STOP STOP STOP": a repeated keyword.
  const words = core.split(' ');
  if (words.length > 1 && words.every((w) => w === words[0]) && BARE_KEYWORDS.has(words[0]!)) return true;
  return PHRASES.test(core);
}
