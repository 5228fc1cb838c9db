/**
 * Revocation in plain words (workflows/lib/revocation.ts): the table of phrasings that must opt out and of
 * phrasings that must not (everyday replies, check-in answers, crew pulse answers, goals).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyInbound } from '../../workflows/lib/keywords.js';
import { isRevocation } from '../../workflows/lib/revocation.js';

const MUST_OPT_OUT = [
  // English
  'please stop texting me',
  'Please stop texting me.',
  'stop texting me',
  'STOP TEXTING ME!!!',
  'Stop messaging me',
  'stop sending me texts',
  'stop sending me messages please',
  'Stop sending these messages',
  'stop the texts',
  'stop all messages',
  'stop these reminders',
  'please stop',
  'stop please',
  'STOP NOW',
  'stop stop stop',
  'stop it',
  'quit texting me',
  'unsubscribe me',
  'Unsubscribe me please',
  'unsubscribe me from this list',
  'unsub',
  'unsuscribe',
  'no more messages',
  'No more texts!',
  'no more texts please',
  'no more reminders thanks',
  "don't text me",
  "Don't text me again",
  'do not text me anymore',
  'dont message me',
  "don't send me any more messages",
  'never text me again',
  'take me off your list',
  'remove me from your list',
  'remove me',
  'remove my number from your list',
  'delete me',
  'opt me out',
  'opt out of everything',
  'I want to unsubscribe',
  'i would like to opt out',
  "I'd like to stop receiving these texts",
  "I don't want these messages anymore",
  'i no longer want these texts',
  'leave me alone',
  'wrong number',
  'You have the wrong number',
  'lose my number',
  'cancel my subscription',
  'I revoke my consent',
  'can you please stop texting me',
  'Hey, stop texting me. Thanks',
  'ＳＴＯＰ ＴＥＸＴＩＮＧ ＭＥ', // full-width
  'too many texts',
  // Spanish
  'alto',
  'ALTO',
  'parar',
  'baja',
  'no más mensajes',
  'No mas mensajes por favor',
  'por favor dejen de enviarme mensajes',
  'deja de escribirme',
  'dejen de mandarme mensajes',
  'ya no me envíen mensajes',
  'no me manden más mensajes',
  'no quiero más mensajes',
  'ya no quiero recibir mensajes',
  'no quiero que me escriban más',
  'darme de baja',
  'Quiero darme de baja',
  'dame de baja de la lista',
  'cancelar mi suscripción',
  'sácame de la lista',
  'bórrame de la lista',
  'eliminame',
  'número equivocado',
  'déjame en paz',
  'desuscribirme',
  'no molestar',
];

const MUST_NOT_OPT_OUT = [
  // everyday English
  'stop by later',
  "I can't stop smiling",
  "don't stop believing",
  'stop 5 km',
  'I will stop by the gym',
  'stop texting me so early',
  'can you stop texting me at 6am',
  'please stop texting me on weekends',
  'I stopped eating sugar',
  'stopped at 3 miles',
  'no more excuses',
  'no more sugar for me',
  'no more snacks after 9',
  'end of day',
  'ended early today',
  'I quit smoking!',
  'quit sugar today',
  'cancelled plans but ran anyway',
  'help',
  'help me',
  'remove goal 2',
  'GOAL read 20 pages',
  'I need a rest day',
  'thanks',
  'ok',
  'please',
  'stop by',
  'never stop',
  'unstoppable today',
  'how do I stop procrastinating?',
  'my stop watch says 25 min',
  'the bus stop was far',
  'leave me a note',
  'wrong answer, Y not N',
  'cancel tomorrow session?',
  'no more than 3 a day would be nice',
  // check-in answers
  'Y',
  'N',
  'Y 4',
  'N stopped early',
  'Y stopped at 5k',
  'N had to stop, knee hurt',
  'yesterday N, I quit halfway',
  '1 Y 2 N',
  'Y, ran 5 km without stopping',
  // crew pulse answers and commands
  'N 2 stopped early',
  'Y 5 never stopping',
  'ADD 5 km',
  'LEAVE',
  'JOIN ABC234',
  // mentorship and campaigns
  '3',
  'NOT FIT',
  'MORE',
  'yes I will come',
  'no, I cannot make it',
  // Spanish everyday
  'para mañana',
  'no más de 5 km',
  'alto rendimiento hoy',
  'bajé 2 kg',
  'baja de peso es mi meta',
  'corrí sin parar',
  'no pares',
  'Y, hoy no paré',
  'sí',
  'no',
  'gracias',
  'por favor',
  '',
  '   ',
  '🛑',
];

describe('revocation phrase table', () => {
  it('has at least 50 phrasings each way', () => {
    expect(MUST_OPT_OUT.length).toBeGreaterThanOrEqual(50);
    expect(MUST_NOT_OPT_OUT.length).toBeGreaterThanOrEqual(50);
  });

  it.each(MUST_OPT_OUT)('%j opts out', (body) => expect(isRevocation(body)).toBe(true));
  it.each(MUST_NOT_OPT_OUT)('%j does not opt out', (body) => expect(isRevocation(body)).toBe(false));
});

describe('revocation and the exact keywords', () => {
  const KEYWORD_OPT_OUTS = [
    'STOP',
    'Stop.',
    'STOP ALL',
    'unsubscribe',
    'cancel',
    'END',
    'quit',
    'revoke',
    'opt-out',
  ];

  it.each(KEYWORD_OPT_OUTS)('the keyword %j is a revocation too', (body) => {
    expect(classifyInbound(body).kind).toBe('opt_out');
    expect(isRevocation(body)).toBe(true);
  });

  it('every exact opt-out keyword is a revocation, whatever courtesy surrounds it', () => {
    const keyword = fc.constantFrom('STOP', 'stop', 'Unsubscribe', 'OPT OUT', 'stopall');
    const before = fc.constantFrom('', 'please ', 'Please, ', 'hey ', 'ok ');
    const after = fc.constantFrom('', ' please', '!', ' now', ' thanks', '.', ' 🙏');
    fc.assert(fc.property(before, keyword, after, (b, k, a) => isRevocation(`${b}${k}${a}`)));
  });

  it('a check-in answer followed by any words is never a revocation', () => {
    const answer = fc.constantFrom('Y', 'N', 'y', 'n', '1 Y 2 N', 'Y 4');
    const words = fc.array(fc.constantFrom('stopped', 'stop', 'early', 'quit', 'more', 'no', 'texts', 'me'), {
      maxLength: 5,
    });
    fc.assert(fc.property(answer, words, (a, ws) => !isRevocation([a, ...ws].join(' '))));
  });
});
