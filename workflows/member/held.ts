/**
 * Texts to the member that the send gate held (quiet hours, the daily cap): kept in the member's state with the
 * instant the gate gave, and asked again then — while the member's replies, preferences and goals are handled
 * in the meantime (before, the process waited on the held text and a "Y" sent at 23:00 was answered only when a
 * text held until 08:00 had gone). Pure: the workflow asks the gate (effects.ts) and applies these rules.
 */
import type { SendSmsInput } from '../../activities/messaging.js';
import type { MemberState } from './state.js';

export interface HeldText {
  /** The text as first asked for: the same business key, so it is sent at most once whatever happens. */
  input: SendSmsInput;
  /** When the gate said it may go (it is asked again then; it may hold it once more). */
  untilMs: number;
  /** How many times the gate has held it. */
  deferrals: number;
}

/** Keep a held text (replacing one with the same key: a key is held at most once). */
export function holdText(state: MemberState, input: SendSmsInput, untilMs: number, deferrals = 1): void {
  const others = (state.held ?? []).filter((h) => h.input.idempotencyKey !== input.idempotencyKey);
  state.held = [...others, { input, untilMs, deferrals }];
}

/** The earliest held text's instant, or null when none is held (an erased member holds none). */
export function nextHeldAt(state: MemberState): number | null {
  if (state.status === 'erased' || !state.held?.length) return null;
  return Math.min(...state.held.map((h) => h.untilMs));
}

/** Take the held texts due at `nowMs` out of the state, in the order they fall due (first held first). */
export function takeDueHeld(state: MemberState, nowMs: number): HeldText[] {
  const held = state.held ?? [];
  const due = held.filter((h) => h.untilMs <= nowMs).sort((a, b) => a.untilMs - b.untilMs);
  state.held = held.filter((h) => h.untilMs > nowMs);
  return due;
}
