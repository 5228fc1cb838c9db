/**
 * Shared reflections reach the crew by SMS (pure; runs with `crew-reflections-sms`). No text of their own: the
 * day's published crew pulse text carries at most one reflection, so a member still gets the question (riding
 * on their check-in) and at most the pulse from a challenge in a day. Why the pulse:
 *
 * - it is the crew's one shared text of the day and goes out only when at least k members answered, so a
 *   reflection never arrives alone, next to a small crew's figures;
 * - it goes at the close of the day (the last member's local day plus the 24 h grace), so the moderation and any
 *   operator review of that day's reflections have had their time;
 * - a day without a published pulse carries nothing: its reflection waits for the next published pulse.
 *
 * Only members who consented to share reflections receive one (the activity lists them), never its author; the
 * text names nobody ("A crewmate wrote"). Each reflection is carried once, oldest first, by its id.
 */
import type { ReflectionForPulseResult } from '../../activities/crews/reflections.js';
import type { ChallengeState } from './state.js';
import { pulseWithReflectionText } from './texts.js';

export interface ReflectionSmsState {
  /** Reflections the store activity kept for this challenge (the pulse asks for one only when any was). */
  stored: number;
  /** Ids of the reflections a pulse text carried, oldest first. */
  carried: string[];
}

/** The part of the state (absent from states of runs that predate it). */
export function reflectionSmsState(s: ChallengeState): ReflectionSmsState {
  s.reflectionSms ??= { stored: 0, carried: [] };
  return s.reflectionSms;
}

/** Whether the pulse should ask for a reflection to carry: only once any reflection was stored. */
export function mayCarry(s: ReflectionSmsState): boolean {
  return s.stored > 0;
}

/**
 * Each member's pulse body: with the reflection for consenting members other than its author, else the plain
 * pulse. Records the reflection as carried when it fits the text (else it is skipped for SMS, still in the API).
 */
export function pulseBodies(
  s: ReflectionSmsState,
  pulse: string,
  found: ReflectionForPulseResult,
): (memberId: string) => string {
  const r = found.reflection;
  if (!r || s.carried.includes(r.id)) return () => pulse;
  s.carried.push(r.id);
  const withIt = pulseWithReflectionText(pulse, r.text);
  if (withIt === null) return () => pulse;
  const to = new Set(found.recipients);
  return (memberId) => (memberId !== r.memberId && to.has(memberId) ? withIt : pulse);
}
