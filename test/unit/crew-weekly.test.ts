/**
 * The weekly challenge's schedule (every Monday of the challenge, none other, at 09:00 in the crew's zone), the
 * texts' segment budgets, the crew tone reading and the narrative's number check (the AI words the workflow's
 * numbers, never its own).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CREW_SEGMENT_BUDGET,
  crewNarrativeTemplate,
  crewWeeklyTemplate,
  onlyGivenNumbers,
  type CrewSummaryFigures,
} from '../../activities/ai/crew.js';
import {
  summaryText,
  summaryWithNarrativeText,
  SUMMARY_WITH_NARRATIVE_SEGMENTS,
  TEXT_BUDGET_SEGMENTS,
  weeklyText,
} from '../../workflows/crew-challenge/texts.js';
import { CREW_DEFAULT_TONE, crewTone } from '../../workflows/crew-challenge/tone.js';
import { mondaysOf, nextWeekly } from '../../workflows/crew-challenge/weekly.js';
import { addDays, localDate, localParts, weekdayOf } from '../../workflows/lib/time.js';
import { countSegments } from '../../workflows/lib/segments.js';
import { TONES } from '../../workflows/member/values.js';

const date = fc
  .integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2030, 11, 31) })
  .map((ms) => new Date(ms).toISOString().slice(0, 10));

describe('the weekly challenge schedule', () => {
  it('is every Monday among the challenge days, in order, and nothing else', () => {
    fc.assert(
      fc.property(date, fc.integer({ min: 1, max: 90 }), (start, days) => {
        const all = Array.from({ length: days }, (_, d) => addDays(start, d));
        expect(mondaysOf(start, days)).toEqual(all.filter((d) => weekdayOf(d) === 1));
      }),
    );
  });

  it("is 09:00 on that Monday in the crew's zone, numbered, and ends after the last", () => {
    fc.assert(
      fc.property(
        date,
        fc.integer({ min: 1, max: 90 }),
        fc.constantFrom('Europe/London', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'),
        (start, days, tz) => {
          const mondays = mondaysOf(start, days);
          mondays.forEach((monday, i) => {
            const due = nextWeekly(start, days, tz, i)!;
            expect(due).toMatchObject({ week: i + 1, weeks: mondays.length, date: monday });
            expect(localDate(due.atMs, tz)).toBe(monday);
            expect(localParts(due.atMs, tz)).toMatchObject({ hour: 9, minute: 0, weekday: 1 });
          });
          expect(nextWeekly(start, days, tz, mondays.length)).toBeNull();
        },
      ),
    );
  });

  it('holds across a DST change (New York, spring 2027)', () => {
    // The US changes on Sunday 2027-03-14: 09:00 is 14:00Z the Monday before (EST), 13:00Z the Monday after (EDT).
    expect(nextWeekly('2027-03-08', 14, 'America/New_York', 0)?.atMs).toBe(
      Date.parse('2027-03-08T14:00:00Z'),
    );
    expect(nextWeekly('2027-03-08', 14, 'America/New_York', 1)?.atMs).toBe(
      Date.parse('2027-03-15T13:00:00Z'),
    );
    expect(nextWeekly('2027-03-01', 14, 'America/New_York', 0)?.atMs).toBe(
      Date.parse('2027-03-01T14:00:00Z'),
    );
  });
});

describe('crew tone', () => {
  it('is a member tone, the default for anything else', () => {
    for (const t of TONES) expect(crewTone(t)).toBe(t);
    for (const x of [undefined, null, 'rude', 3]) expect(crewTone(x)).toBe(CREW_DEFAULT_TONE);
    expect(CREW_DEFAULT_TONE).toBe('friendly');
  });
});

const figures: CrewSummaryFigures = {
  days: 30,
  done: 187,
  atLeast: false,
  publishedDays: 26,
  milestones: 3,
  goal: { total: 212.5, target: 200, unit: 'km', reached: true },
};

describe('the texts fit their budgets', () => {
  const longTitle = 'x'.repeat(80);
  it('weekly texts of every tone and week, with an 80-character title', () => {
    for (const tone of TONES)
      for (let w = 1; w <= 13; w++) {
        const body = crewWeeklyTemplate(tone, w);
        expect(countSegments(body).segments).toBeLessThanOrEqual(CREW_SEGMENT_BUDGET.weekly);
        const text = weeklyText(longTitle, w, 13, body);
        expect(countSegments(text).segments, text).toBeLessThanOrEqual(TEXT_BUDGET_SEGMENTS);
      }
  });

  it('the summary with its narrative, or the summary alone when both would not fit', () => {
    const summary = summaryText(longTitle, 90, {
      done: 2700,
      responded: 2700,
      atLeast: true,
      publishedDays: 90,
    });
    for (const tone of TONES) {
      const narrative = crewNarrativeTemplate(tone, figures);
      const text = summaryWithNarrativeText(summary, narrative);
      expect(text).toBe(`${summary} ${narrative}`);
      expect(countSegments(text).segments).toBeLessThanOrEqual(SUMMARY_WITH_NARRATIVE_SEGMENTS);
    }
    expect(summaryWithNarrativeText(summary, 'y'.repeat(300))).toBe(summary);
    expect(summaryWithNarrativeText(summary, '')).toBe(summary);
  });
});

describe('the narrative states only the figures it was given', () => {
  it('accepts the figures (and no number at all), refuses any other number', () => {
    expect(onlyGivenNumbers('Keep going together.', figures)).toBe(true);
    expect(onlyGivenNumbers('187 check-ins in 30 days, 212.5 of 200 km, 3 milestones!', figures)).toBe(true);
    expect(onlyGivenNumbers('188 check-ins!', figures)).toBe(false);
    expect(onlyGivenNumbers('212 km', figures)).toBe(false);
    expect(onlyGivenNumbers('200 km', { ...figures, goal: null })).toBe(false);
  });

  it('refuses every number that is not a figure (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000 }), (n) => {
        const given = [figures.days, figures.done, figures.publishedDays, figures.milestones, 212.5, 200];
        expect(onlyGivenNumbers(`You did ${n} things.`, figures)).toBe(given.includes(n));
      }),
    );
  });
});
