import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  components,
  DEFAULT_WEIGHTS,
  rankMentors,
  score,
  scheduleOverlap,
  type MenteeProfile,
  type MentorProfile,
  type WeeklyWindow,
  type WeightSet,
} from '../../workflows/mentorship-match/score.js';

const TAGS = ['fitness', 'career', 'sleep', 'writing', 'running', 'diet'];
const LANGS = ['en', 'es', 'fr', 'de'];
const hhmm = (m: number) =>
  `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const window: fc.Arbitrary<WeeklyWindow> = fc
  .tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 47 }), fc.integer({ min: 1, max: 48 }))
  .map(([weekday, a, len]) => ({
    weekday,
    from: hhmm(a * 30),
    to: hhmm(Math.min(a * 30 + len * 30, 23 * 60 + 59)),
  }));
const offset = fc.integer({ min: -12 * 60, max: 14 * 60 });
const mentee: fc.Arbitrary<MenteeProfile> = fc.record({
  focusAreas: fc.subarray(TAGS, { minLength: 1 }),
  languages: fc.subarray(LANGS),
  utcOffsetMinutes: offset,
  availability: fc.array(window, { maxLength: 3 }),
});
const mentor: fc.Arbitrary<MentorProfile> = fc
  .record({
    mentorId: fc.uuid(),
    expertise: fc.subarray(TAGS),
    languages: fc.subarray(LANGS, { minLength: 1 }),
    utcOffsetMinutes: offset,
    availability: fc.array(window, { maxLength: 3 }),
    capacity: fc.integer({ min: 0, max: 5 }),
    activeMentees: fc.integer({ min: 0, max: 5 }),
  })
  .filter((m) => m.activeMentees <= m.capacity);
const weights: fc.Arbitrary<WeightSet> = fc.record({
  version: fc.constant('test@1'),
  weights: fc
    .record({
      focus: fc.double({ min: 0, max: 1, noNaN: true }),
      language: fc.double({ min: 0, max: 1, noNaN: true }),
      schedule: fc.double({ min: 0, max: 1, noNaN: true }),
      timezone: fc.double({ min: 0, max: 1, noNaN: true }),
      load: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .filter((w) => w.focus + w.language + w.schedule + w.timezone + w.load > 0.01),
});

const base: MentorProfile = {
  mentorId: 'm',
  expertise: ['fitness'],
  languages: ['en'],
  utcOffsetMinutes: -300,
  availability: [{ weekday: 1, from: '18:00', to: '20:00' }],
  capacity: 2,
  activeMentees: 0,
};
const ana: MenteeProfile = {
  focusAreas: ['fitness', 'sleep'],
  languages: ['en'],
  utcOffsetMinutes: -300,
  availability: [{ weekday: 1, from: '19:00', to: '21:00' }],
};

describe('compatibility score', () => {
  it('scores a known pair component by component, with the weight version', () => {
    const s = score(ana, base);
    expect(s.breakdown).toEqual({ focus: 0.5, language: 1, schedule: 0.5, timezone: 1, load: 1 });
    // 0.4·0.5 + 0.2·1 + 0.2·0.5 + 0.1·1 + 0.1·1 = 0.7
    expect(s.score).toBe(0.7);
    expect(s.weightsVersion).toBe(DEFAULT_WEIGHTS.version);
  });

  it('compares availability in UTC: the same local hours three zones apart do not overlap', () => {
    const west = {
      ...base,
      utcOffsetMinutes: -480,
      availability: [{ weekday: 1, from: '16:00', to: '18:00' }],
    };
    // 16:00–18:00 in UTC−8 is 19:00–21:00 in UTC−5: exactly Ana's window.
    expect(scheduleOverlap(ana, west)).toBe(1);
    expect(
      scheduleOverlap(ana, { ...west, availability: [{ weekday: 1, from: '19:00', to: '21:00' }] }),
    ).toBe(0);
  });

  it('is always within [0, 1], as is every component', () => {
    fc.assert(
      fc.property(mentee, mentor, weights, (e, m, w) => {
        const s = score(e, m, w);
        expect(s.score).toBeGreaterThanOrEqual(0);
        expect(s.score).toBeLessThanOrEqual(1);
        for (const v of Object.values(s.breakdown)) {
          expect(v).toBeGreaterThanOrEqual(0);
          expect(v).toBeLessThanOrEqual(1);
        }
        expect(s.weightsVersion).toBe('test@1');
      }),
      { numRuns: 200 },
    );
  });

  it('is the weighted mean of its breakdown under the weights that produced it', () => {
    fc.assert(
      fc.property(mentee, mentor, weights, (e, m, { weights: w, version }) => {
        const s = score(e, m, { version, weights: w });
        const c = components(e, m);
        const total = w.focus + w.language + w.schedule + w.timezone + w.load;
        const mean =
          (w.focus * c.focus +
            w.language * c.language +
            w.schedule * c.schedule +
            w.timezone * c.timezone +
            w.load * c.load) /
          total;
        expect(Math.abs(s.score - mean)).toBeLessThanOrEqual(0.00006);
      }),
      { numRuns: 200 },
    );
  });

  it('never scores a mentor lower for covering one more of the focus areas', () => {
    fc.assert(
      fc.property(mentee, mentor, weights, (e, m, w) => {
        const missing = e.focusAreas.find((f) => !m.expertise.includes(f));
        fc.pre(missing !== undefined);
        const better = { ...m, expertise: [...m.expertise, missing] };
        expect(score(e, better, w).score).toBeGreaterThanOrEqual(score(e, m, w).score);
      }),
      { numRuns: 200 },
    );
  });

  it('ranks at most 5, best first, never a full or not-taking mentor nor an excluded one', () => {
    fc.assert(
      fc.property(mentee, fc.array(mentor, { maxLength: 12 }), (e, ms) => {
        const unique = [...new Map(ms.map((m) => [m.mentorId, m])).values()];
        const excluded = new Set(unique.slice(0, 1).map((m) => m.mentorId));
        const ranked = rankMentors(e, unique, DEFAULT_WEIGHTS, 5, excluded);
        expect(ranked.length).toBeLessThanOrEqual(5);
        for (let i = 1; i < ranked.length; i++)
          expect(ranked[i - 1]!.score).toBeGreaterThanOrEqual(ranked[i]!.score);
        for (const r of ranked) {
          const m = unique.find((x) => x.mentorId === r.mentorId)!;
          expect(m.activeMentees).toBeLessThan(m.capacity);
          expect(excluded.has(r.mentorId)).toBe(false);
        }
        const eligible = unique.filter((m) => m.activeMentees < m.capacity && !excluded.has(m.mentorId));
        expect(ranked.length).toBe(Math.min(5, eligible.length));
      }),
      { numRuns: 200 },
    );
  });
});
