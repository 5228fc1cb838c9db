import { describe, expect, it } from 'vitest';
import { classifyInbound, parseCheckInReply } from '../../workflows/lib/keywords.js';
import { parseGoalCommand } from '../../workflows/member/goals.js';

describe('classifyInbound', () => {
  it.each([
    // opt-out
    ['STOP', 'opt_out', 'STOP'],
    ['stop', 'opt_out', 'STOP'],
    ['Stop.', 'opt_out', 'STOP'],
    [' stop ', 'opt_out', 'STOP'],
    ['STOP!', 'opt_out', 'STOP'],
    ['\n"Stop"!!\n', 'opt_out', 'STOP'],
    ['stop 🛑', 'opt_out', 'STOP'],
    ['ＳＴＯＰ', 'opt_out', 'STOP'], // full-width, NFKC-normalised
    ['STOPALL', 'opt_out', 'STOPALL'],
    ['STOP ALL', 'opt_out', 'STOPALL'],
    ['stop  all', 'opt_out', 'STOPALL'],
    ['Unsubscribe', 'opt_out', 'UNSUBSCRIBE'],
    ['cancel', 'opt_out', 'CANCEL'],
    ['End', 'opt_out', 'END'],
    ['quit', 'opt_out', 'QUIT'],
    ['revoke', 'opt_out', 'REVOKE'],
    ['OPTOUT', 'opt_out', 'OPTOUT'],
    ['OPT OUT', 'opt_out', 'OPTOUT'],
    ['opt-out', 'opt_out', 'OPTOUT'],
    ['Opt_Out.', 'opt_out', 'OPTOUT'],
    // opt-in
    ['START', 'opt_in', 'START'],
    ['yes', 'opt_in', 'YES'],
    ['Yes!', 'opt_in', 'YES'],
    ['unstop', 'opt_in', 'UNSTOP'],
    // help
    ['HELP', 'help', 'HELP'],
    ['help?', 'help', 'HELP'],
    ['Info', 'help', 'INFO'],
  ] as const)('%j → %s', (body, kind, keyword) => expect(classifyInbound(body)).toEqual({ kind, keyword }));

  it.each([
    'stop texting me so early',
    'Yes I ran',
    'please stop',
    'STOPP',
    'S TOP',
    'STOP NOW',
    'opt in',
    'help me',
    'end of day',
    'Y',
    '',
    '   ',
    '🛑',
  ])('%j → message', (body) => expect(classifyInbound(body)).toEqual({ kind: 'message' }));
});

describe('parseCheckInReply', () => {
  const all = (done: boolean) => [{ goal: null, done }];

  it.each([
    ['Y', { answers: all(true) }],
    ['N', { answers: all(false) }],
    ['y', { answers: all(true) }],
    ['yes', { answers: all(true) }],
    ['No', { answers: all(false) }],
    ['y.', { answers: all(true) }],
    ['YES!', { answers: all(true) }],
    ['  n  ', { answers: all(false) }],
    ['yep', { answers: all(true) }],
    ['nope', { answers: all(false) }],
    ['👍', { answers: all(true) }],
    ['✅', { answers: all(true) }],
    ['❌', { answers: all(false) }],
    ['N tired', { answers: all(false), reflection: 'tired' }],
    ['Y ran 3k, tired', { answers: all(true), reflection: 'ran 3k, tired' }],
    ['Yes I ran', { answers: all(true), reflection: 'I ran' }],
    ['y, felt great', { answers: all(true), reflection: 'felt great' }],
    ['N - sick', { answers: all(false), reflection: 'sick' }],
    // mood
    ['Y 4', { answers: all(true), mood: 4 }],
    ['Y 4, tired', { answers: all(true), mood: 4, reflection: 'tired' }],
    ['Y mood 4', { answers: all(true), mood: 4 }],
    ['N mood: 2 long day', { answers: all(false), mood: 2, reflection: 'long day' }],
    ['N 2/5 rough day', { answers: all(false), mood: 2, reflection: 'rough day' }],
    ['Y ran 3k, tired, mood 4', { answers: all(true), mood: 4, reflection: 'ran 3k, tired' }],
    ['Y great run 5/5', { answers: all(true), mood: 5, reflection: 'great run' }],
    ['Y 3 miles', { answers: all(true), reflection: '3 miles' }], // bare digit not followed by end/punctuation
    ['Y 6', { answers: all(true), reflection: '6' }], // out of mood range
    // multi-goal
    [
      '1 Y 2 N',
      {
        answers: [
          { goal: 1, done: true },
          { goal: 2, done: false },
        ],
      },
    ],
    [
      '1Y 2N rest',
      {
        answers: [
          { goal: 1, done: true },
          { goal: 2, done: false },
        ],
        reflection: 'rest',
      },
    ],
    [
      '1: yes, 2: no',
      {
        answers: [
          { goal: 1, done: true },
          { goal: 2, done: false },
        ],
      },
    ],
    [
      '2y 1n mood 3 legs sore',
      {
        answers: [
          { goal: 2, done: true },
          { goal: 1, done: false },
        ],
        mood: 3,
        reflection: 'legs sore',
      },
    ],
    ['1Y 1N', { answers: [{ goal: 1, done: false }] }], // last answer wins
    [
      'Y N Y',
      {
        answers: [
          { goal: 1, done: true },
          { goal: 2, done: false },
          { goal: 3, done: true },
        ],
      },
    ],
    [
      'y,n 4',
      {
        answers: [
          { goal: 1, done: true },
          { goal: 2, done: false },
        ],
        mood: 4,
      },
    ],
  ] as const)('%j', (body, want) =>
    expect(parseCheckInReply(body)).toEqual({ ok: true, forYesterday: false, ...want }),
  );

  it.each([
    ['yesterday Y', { answers: all(true) }],
    ['Yesterday: N sick', { answers: all(false), reflection: 'sick' }],
    ['yday y 3', { answers: all(true), mood: 3 }],
    [
      'yesterday 1Y 2N',
      {
        answers: [
          { goal: 1, done: true },
          { goal: 2, done: false },
        ],
      },
    ],
  ] as const)('%j → forYesterday', (body, want) =>
    expect(parseCheckInReply(body)).toEqual({ ok: true, forYesterday: true, ...want }),
  );

  it.each(['', 'hello', 'yo', 'yesterday', 'maybe', 'nice run', '0 Y', '3 miles', 'STOP', 'yess'])(
    '%j → not a check-in reply',
    (body) => expect(parseCheckInReply(body)).toEqual({ ok: false }),
  );
});

describe('parseGoalCommand', () => {
  it.each([
    ['GOAL run 3x week', 'run', { kind: 'times_per_week', times: 3 }],
    ['goal run 3x/week', 'run', { kind: 'times_per_week', times: 3 }],
    ['GOAL yoga 3 times a week', 'yoga', { kind: 'times_per_week', times: 3 }],
    ['GOAL yoga 2 times per week', 'yoga', { kind: 'times_per_week', times: 2 }],
    ['GOAL swim twice a week', 'swim', { kind: 'times_per_week', times: 2 }],
    ['GOAL lift 4x weekly', 'lift', { kind: 'times_per_week', times: 4 }],
    ['GOAL walk 7x week', 'walk', { kind: 'daily' }],
    ['GOAL meditate daily', 'meditate', { kind: 'daily' }],
    ['Goal: read 20 pages every day.', 'read 20 pages', { kind: 'daily' }],
    ['GOAL floss everyday', 'floss', { kind: 'daily' }],
    ['GOAL gym mon wed fri', 'gym', { kind: 'weekdays', days: [1, 3, 5] }],
    ['GOAL gym Fri, Mon & Wed', 'gym', { kind: 'weekdays', days: [1, 3, 5] }],
    ['GOAL long run on sunday', 'long run', { kind: 'weekdays', days: [0] }],
    ['GOAL piano tues/thurs', 'piano', { kind: 'weekdays', days: [2, 4] }],
    ['GOAL call mom sat and sun', 'call mom', { kind: 'weekdays', days: [0, 6] }],
    ['GOAL walk weekdays', 'walk', { kind: 'weekdays', days: [1, 2, 3, 4, 5] }],
    ['GOAL hike weekends', 'hike', { kind: 'weekdays', days: [0, 6] }],
    ['GOAL sunbathe sat', 'sunbathe', { kind: 'weekdays', days: [6] }],
    ['GOAL journal weekdays sat sun', 'journal', { kind: 'daily' }],
    ['GOAL No sugar, daily', 'No sugar', { kind: 'daily' }],
  ] as const)('%j', (body, title, cadence) => expect(parseGoalCommand(body)).toEqual({ title, cadence }));

  it.each([
    'GOAL',
    'GOAL daily',
    'GOAL run',
    'GOAL run 9x week',
    'GOAL run 0x week',
    'GOALS run daily',
    'run daily',
    'Y',
  ])('%j → null', (body) => expect(parseGoalCommand(body)).toBeNull());
});
