/**
 * Erasure of a participant (issue 12 §2): an active or paused match ends early, the other side gets the plain
 * "your mentorship has ended" text (no detail of why), and the mentor's slot is released. Pure.
 */
import type { MatchStatus } from './values.js';

/** Stored as the match's end reason: names no one. */
export const ERASED_END_REASON = 'participant erased';

/** Whether an erasure ends the match now (a match already ending keeps its own reason). */
export const erasureEnds = (status: MatchStatus, endRequested: string | null): boolean =>
  (status === 'active' || status === 'paused') && endRequested === null;
