/**
 * Crew milestones, pure. A milestone fires exactly once: the workflow records it in its state (with the instant)
 * BEFORE the texts go out, and each text's business key is `crew-challenge:<id>:milestone:<milestone>:member:<m>`,
 * so two answers crossing a threshold together, or a worker dying mid-send, give one text per member.
 *
 * Privacy: check-in and streak milestones are computed from PUBLISHED pulses only (k-anonymous figures), never
 * from withheld days, so a milestone cannot reveal what the pulse withheld.
 *   - `checkins:<n>` — the done check-ins in published pulses reach n (50, 100, 250, 500, 1000).
 *   - `streak:<n>`   — n challenge days in a row with a published crew pulse (7, 14, 30).
 *   - `goal`         — the group goal is reached.
 * Facts only ever grow, so the set of due milestones only grows.
 */
import type { PulseView } from './definitions.js';

export const CHECKIN_MILESTONES = [50, 100, 250, 500, 1000] as const;
export const STREAK_MILESTONES = [7, 14, 30] as const;

export type MilestoneId = `checkins:${number}` | `streak:${number}` | 'goal';

export interface MilestoneFacts {
  /** Done check-ins in published pulses. */
  publishedDone: number;
  /** The longest run of consecutive challenge days with a published pulse. */
  longestStreak: number;
  goalReached: boolean;
}

export interface MilestoneRecord {
  id: MilestoneId;
  reachedAtMs: number;
  /** The texts went out (set after every member's send returned). */
  announced: boolean;
}

export function factsOf(pulses: readonly PulseView[], goalReached: boolean): MilestoneFacts {
  let publishedDone = 0;
  let run = 0;
  let longestStreak = 0;
  let lastDay = 0;
  for (const p of [...pulses].sort((a, b) => a.day - b.day)) {
    if (p.published && p.figures) {
      publishedDone += p.figures.done;
      run = p.day === lastDay + 1 ? run + 1 : 1;
    } else run = 0;
    lastDay = p.day;
    longestStreak = Math.max(longestStreak, run);
  }
  return { publishedDone, longestStreak, goalReached };
}

/** Every milestone that holds for these facts, in a stable order. */
export function heldMilestones(f: MilestoneFacts): MilestoneId[] {
  return [
    ...CHECKIN_MILESTONES.filter((n) => f.publishedDone >= n).map((n) => `checkins:${n}` as const),
    ...STREAK_MILESTONES.filter((n) => f.longestStreak >= n).map((n) => `streak:${n}` as const),
    ...(f.goalReached ? (['goal'] as const) : []),
  ];
}

/** The milestones that hold and were not recorded yet: record them (then announce them). */
export function dueMilestones(f: MilestoneFacts, recorded: readonly MilestoneRecord[]): MilestoneId[] {
  const seen = new Set(recorded.map((r) => r.id));
  return heldMilestones(f).filter((id) => !seen.has(id));
}

/** Record the due milestones (mutates `recorded`); returns the new ones. */
export function recordDue(f: MilestoneFacts, recorded: MilestoneRecord[], nowMs: number): MilestoneId[] {
  const due = dueMilestones(f, recorded);
  for (const id of due) recorded.push({ id, reachedAtMs: nowMs, announced: false });
  return due;
}

/** The shape of a milestone id, for the API document. */
export const MILESTONE_IDS_PATTERN = '^(checkins:\\d+|streak:\\d+|goal)$';
