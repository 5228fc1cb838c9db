/**
 * When the challenge hands its state to a new run: after a day's pulse, when Temporal suggests it (the history
 * grows) or every `continueAsNewEveryDays` decided days (tests force it), and never after the last day (the
 * close and the summary stay in the run that decided it).
 */
import type { CrewChallengeInput } from './definitions.js';

export function shouldContinueAsNew(
  suggested: boolean,
  input: Pick<CrewChallengeInput, 'days' | 'continueAsNewEveryDays'>,
  decidedDays: number,
): boolean {
  if (decidedDays >= input.days) return false;
  if (suggested) return true;
  const every = input.continueAsNewEveryDays;
  return every !== undefined && every >= 1 && decidedDays % every === 0;
}
