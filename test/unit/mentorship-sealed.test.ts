/**
 * What a match's history holds about its people (workflows/mentorship-match/sealed.ts, README "Privacy"): a ranked
 * candidate's zone, windows and score, an offer as recorded, the mentee's zone. Through the real codec over an
 * in-memory key store: nothing of them is readable in the stored payload, all of it opens with both keys, and
 * after either person's erasure it opens to nothing of theirs while the ids stay — and the workflow's reading of
 * it never throws (fast-check, for every candidate and zone).
 */
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSubjectCodec } from '../../db/payload-codec.js';
import type { SubjectKeyStore } from '../../db/subject-keys.js';
import { subjectOf } from '../../workflows/lib/subject.js';
import type { Candidate, OfferView } from '../../workflows/mentorship-match/definitions.js';
import {
  clockOf,
  markedZone,
  offerRecord,
  openCandidate,
  sealCandidate,
  zoneOf,
} from '../../workflows/mentorship-match/sealed.js';
import { memoryKeys } from '../helpers/memory-keys.js';

const MENTEE = '2f6b0c1e-4a57-4f0e-9d3a-8f1b2c3d4e5f';
const MENTOR = '7a1d2e3f-0b4c-4d5e-8f6a-1b2c3d4e5f60';
const mentee = subjectOf('member', MENTEE);
const mentor = subjectOf('member', MENTOR);
const ZONES = ['America/New_York', 'Europe/Lisbon', 'Asia/Kolkata', 'Australia/Adelaide', 'Pacific/Chatham'];

const text = (p: Payload) => Buffer.from(p.data!).toString('utf8');
async function stored(keys: SubjectKeyStore, value: unknown): Promise<Payload> {
  const [p] = await createSubjectCodec(keys).encode([defaultPayloadConverter.toPayload(value)]);
  return p!;
}
async function opened<T>(keys: SubjectKeyStore, p: Payload): Promise<T> {
  return defaultPayloadConverter.fromPayload<T>((await createSubjectCodec(keys).decode([p]))[0]!);
}

const hhmm = fc
  .tuple(fc.integer({ min: 0, max: 22 }), fc.integer({ min: 0, max: 59 }))
  .map(([h, m]) => [`${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`, `${h + 1}:00`] as const);
const unit = fc.double({ min: 0, max: 1, noNaN: true });
const candidateArb: fc.Arbitrary<Candidate> = fc.record({
  mentorId: fc.uuid(),
  mentorMemberId: fc.constant(MENTOR),
  mentorTimezone: fc.constantFrom(...ZONES),
  mentorAvailability: fc.array(
    fc.record({ weekday: fc.integer({ min: 0, max: 6 }), slot: hhmm }).map(({ weekday, slot }) => ({
      weekday,
      from: slot[0],
      to: slot[1],
    })),
    { minLength: 1, maxLength: 4 },
  ),
  score: unit,
  breakdown: fc.record({ focus: unit, language: unit, schedule: unit, timezone: unit, load: unit }),
  weightsVersion: fc.constantFrom('default@1', 'spring@2'),
});

describe('a ranked candidate in a match’s history', () => {
  it('opens whole with both keys; after either erasure only its ids remain, and reading it never throws', async () => {
    const keys = memoryKeys();
    await fc.assert(
      fc.asyncProperty(candidateArb, async (c) => {
        const sealed = sealCandidate(c, MENTEE);
        expect(openCandidate(sealed)).toEqual(c); // in the worker, before any codec
        const p = await stored(keys, [sealed]);
        const raw = text(p);
        expect(raw).toContain(c.mentorId); // ids stay readable
        expect(raw).not.toContain(c.mentorTimezone);
        expect(raw).not.toContain(c.mentorAvailability![0]!.from);
        expect(raw).not.toContain('"score"');
        expect(raw).not.toContain('"breakdown"');

        const [back] = await opened<Candidate[]>(keys, p);
        expect(openCandidate(back!)).toEqual(c);
        for (const gone of [mentee, mentor]) {
          const [erased] = await opened<Candidate[]>(keys.without(gone), p);
          const json = JSON.stringify(erased);
          expect(json).not.toContain(c.mentorTimezone);
          expect(json).not.toContain('"score"');
          expect(json).toContain(`{"subject":"${gone}","erased":true}`);
          expect(openCandidate(erased!)).toEqual({
            mentorId: c.mentorId,
            mentorMemberId: MENTOR,
            weightsVersion: c.weightsVersion,
            mentorTimezone: 'UTC',
            mentorAvailability: [],
            score: 0,
            breakdown: { focus: 0, language: 0, schedule: 0, timezone: 0, load: 0 },
          });
        }
      }),
      { numRuns: 60 },
    );
  });

  it('the flat shape of older histories opens unchanged', () => {
    fc.assert(
      fc.property(candidateArb, (c) => {
        expect(openCandidate({ ...c })).toEqual(c);
      }),
    );
  });
});

describe('an offer as recorded', () => {
  it('is sealed under both keys; its clock and match id stay readable', async () => {
    const keys = memoryKeys();
    const offer: OfferView = {
      mentorId: 'mo',
      rank: 2,
      score: 0.8125,
      breakdown: { focus: 0.75, language: 1, schedule: 0.5, timezone: 1, load: 1 },
      weightsVersion: 'default@1',
      status: 'offered',
      offeredAt: '2028-07-03T13:00:00.000Z',
      deadlineAt: '2028-07-08T20:00:00.000Z',
      remindersSent: 0,
      reason: null,
    };
    const clock = { deadlineMs: Date.parse(offer.deadlineAt), reminderAtMs: [1, 2] };
    const p = await stored(keys, offerRecord('m-1', offer, MENTOR, MENTEE, clock));
    const raw = text(p);
    for (const x of ['0.8125', '"mo"', 'offered', offer.deadlineAt]) expect(raw).not.toContain(x);
    expect(raw).toContain('"matchId":"m-1"');
    const back = await opened<{ offer: OfferView; clock: unknown }>(keys, p);
    expect(back.offer).toMatchObject(offer);
    expect(clockOf(back.clock, 2)).toEqual(clock);
    for (const gone of [mentee, mentor]) {
      const after = await opened<{ offer: unknown; clock: unknown }>(keys.without(gone), p);
      expect(after.offer).toEqual({ subject: gone, erased: true });
      expect(clockOf(after.clock, 2)).toEqual(clock);
    }
  });

  it('a clock is taken only in its own shape (older histories recorded no answer)', () => {
    expect(clockOf(undefined, 2)).toBeNull();
    expect(clockOf(null, 0)).toBeNull();
    expect(clockOf({ deadlineMs: 5, reminderAtMs: [1] }, 2)).toBeNull();
    expect(clockOf({ deadlineMs: '5', reminderAtMs: [] }, 0)).toBeNull();
    expect(clockOf({ deadlineMs: 5, reminderAtMs: [] }, 0)).toEqual({ deadlineMs: 5, reminderAtMs: [] });
  });
});

describe('the mentee’s zone in the match’s input', () => {
  it('sealed with the mentee’s key; UTC once it no longer opens; a plain string as before', async () => {
    const keys = memoryKeys();
    for (const tz of ZONES) {
      const p = await stored(keys, { matchId: 'm-1', menteeTimezone: markedZone(MENTEE, tz) });
      expect(text(p)).not.toContain(tz);
      expect(zoneOf((await opened<{ menteeTimezone: never }>(keys, p)).menteeTimezone)).toBe(tz);
      const after = await opened<{ menteeTimezone: never }>(keys.without(mentee), p);
      expect(after.menteeTimezone).toEqual({ subject: mentee, erased: true });
      expect(zoneOf(after.menteeTimezone)).toBe('UTC');
      expect(zoneOf(tz)).toBe(tz);
    }
    expect(zoneOf(undefined)).toBe('UTC');
    fc.assert(fc.property(fc.anything(), (x) => typeof zoneOf(x as never) === 'string'));
  });
});
