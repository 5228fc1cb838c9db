/**
 * Compatibility of a mentee's request with a mentor: a weighted score of five components, each in [0, 1].
 * Pure (no I/O, no clock): the ranking activity and tests call it; every offer stores the breakdown and the
 * weight version that produced it.
 */

/** A weekly availability window in the owner's local wall-clock time: weekday 0 = Sunday, minutes of the day. */
export interface WeeklyWindow {
  weekday: number;
  /** "HH:MM" */
  from: string;
  /** "HH:MM", after `from` (same day). */
  to: string;
}

export interface ScoreWeights {
  focus: number;
  language: number;
  schedule: number;
  timezone: number;
  load: number;
}

export interface WeightSet {
  version: string;
  weights: ScoreWeights;
}

/** The weights when an operator has configured none. */
export const DEFAULT_WEIGHTS: WeightSet = {
  version: 'default@1',
  weights: { focus: 0.4, language: 0.2, schedule: 0.2, timezone: 0.1, load: 0.1 },
};

export interface MenteeProfile {
  focusAreas: string[];
  languages: string[];
  /** The mentee's offset from UTC now, in minutes (e.g. -300 for New York in winter). */
  utcOffsetMinutes: number;
  /** Empty = any time suits the mentee. */
  availability: WeeklyWindow[];
}

export interface MentorProfile {
  mentorId: string;
  expertise: string[];
  languages: string[];
  utcOffsetMinutes: number;
  availability: WeeklyWindow[];
  capacity: number;
  /** Mentees the mentor has now. */
  activeMentees: number;
}

export type ScoreBreakdown = ScoreWeights;

export interface Scored {
  mentorId: string;
  /** Σ weight × component / Σ weights, in [0, 1], rounded to 4 decimals. */
  score: number;
  breakdown: ScoreBreakdown;
  weightsVersion: string;
}

const MINUTES_PER_WEEK = 7 * 24 * 60;
const norm = (s: string) => s.trim().toLowerCase();
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** A window as [start, end) minutes of the UTC week (may wrap past the week's end: split in two). */
function utcIntervals(windows: WeeklyWindow[], offsetMinutes: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const w of windows) {
    const len = minutesOf(w.to) - minutesOf(w.from);
    if (len <= 0) continue;
    const start =
      (((w.weekday * 1440 + minutesOf(w.from) - offsetMinutes) % MINUTES_PER_WEEK) + MINUTES_PER_WEEK) %
      MINUTES_PER_WEEK;
    const end = start + len;
    if (end <= MINUTES_PER_WEEK) out.push([start, end]);
    else out.push([start, MINUTES_PER_WEEK], [0, end - MINUTES_PER_WEEK]);
  }
  return out;
}

/** The intervals sorted and merged (overlaps counted once). */
function merged(intervals: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [a, b] of [...intervals].sort((x, y) => x[0] - y[0])) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

const lengthOf = (xs: Array<[number, number]>) => xs.reduce((t, [a, b]) => t + (b - a), 0);

/** Minutes both merged interval lists cover. */
function overlapOf(a: Array<[number, number]>, b: Array<[number, number]>): number {
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < a.length && j < b.length) {
    const [a0, a1] = a[i]!;
    const [b0, b1] = b[j]!;
    both += Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
    if (a1 < b1) i++;
    else j++;
  }
  return both;
}

/** Share of the smaller availability that the other one also covers. Mentee with none: 1 if the mentor has any. */
export function scheduleOverlap(mentee: MenteeProfile, mentor: MentorProfile): number {
  const b = merged(utcIntervals(mentor.availability, mentor.utcOffsetMinutes));
  const mentorTotal = lengthOf(b);
  if (mentorTotal === 0) return 0;
  if (mentee.availability.length === 0) return 1;
  const a = merged(utcIntervals(mentee.availability, mentee.utcOffsetMinutes));
  const menteeTotal = lengthOf(a);
  if (menteeTotal === 0) return 1;
  return overlapOf(a, b) / Math.min(menteeTotal, mentorTotal);
}

/** A mentor with a free slot; capacity 0 (not taking) or full never gets an offer. */
export const isEligible = (mentor: MentorProfile): boolean => mentor.activeMentees < mentor.capacity;

export function components(mentee: MenteeProfile, mentor: MentorProfile): ScoreBreakdown {
  const expertise = new Set(mentor.expertise.map(norm));
  const focus = [...new Set(mentee.focusAreas.map(norm))];
  const langs = new Set(mentor.languages.map(norm));
  const hoursApart = Math.abs(mentee.utcOffsetMinutes - mentor.utcOffsetMinutes) / 60;
  return {
    focus: focus.length === 0 ? 0 : focus.filter((f) => expertise.has(f)).length / focus.length,
    language: mentee.languages.length === 0 || mentee.languages.some((l) => langs.has(norm(l))) ? 1 : 0,
    schedule: scheduleOverlap(mentee, mentor),
    timezone: 1 - Math.min(hoursApart, 12) / 12,
    load: mentor.capacity <= 0 ? 0 : clamp01(1 - mentor.activeMentees / mentor.capacity),
  };
}

export function score(
  mentee: MenteeProfile,
  mentor: MentorProfile,
  set: WeightSet = DEFAULT_WEIGHTS,
): Scored {
  const c = components(mentee, mentor);
  const w = set.weights;
  const total = w.focus + w.language + w.schedule + w.timezone + w.load;
  const sum =
    w.focus * c.focus +
    w.language * c.language +
    w.schedule * c.schedule +
    w.timezone * c.timezone +
    w.load * c.load;
  const breakdown: ScoreBreakdown = {
    focus: round4(c.focus),
    language: round4(c.language),
    schedule: round4(c.schedule),
    timezone: round4(c.timezone),
    load: round4(c.load),
  };
  return {
    mentorId: mentor.mentorId,
    score: total > 0 ? round4(clamp01(sum / total)) : 0,
    breakdown,
    weightsVersion: set.version,
  };
}

/**
 * The best `limit` eligible mentors, best first; ties go to the lower mentor id (a stable, reproducible order).
 * `exclude`: mentors already offered this request.
 */
export function rankMentors(
  mentee: MenteeProfile,
  mentors: MentorProfile[],
  set: WeightSet = DEFAULT_WEIGHTS,
  limit = 5,
  exclude: ReadonlySet<string> = new Set(),
): Scored[] {
  return mentors
    .filter((m) => isEligible(m) && !exclude.has(m.mentorId))
    .map((m) => score(mentee, m, set))
    .sort((a, b) => b.score - a.score || (a.mentorId < b.mentorId ? -1 : a.mentorId > b.mentorId ? 1 : 0))
    .slice(0, limit);
}

/** Weights an operator may set: each 0–1, not all 0. */
export function validWeights(w: ScoreWeights): boolean {
  const vals = [w.focus, w.language, w.schedule, w.timezone, w.load];
  return vals.every((v) => Number.isFinite(v) && v >= 0 && v <= 1) && vals.some((v) => v > 0);
}
