/**
 * A crew's tone: the member tone values (`workflows/member/values.ts`), defined once and reused by the `crews`
 * table, the API's schema and the challenge workflow. Pure (workflow code imports it).
 */
import { isTone, type Tone } from '../member/values.js';

/** A crew created without a tone speaks like a new member's default: friendly. */
export const CREW_DEFAULT_TONE: Tone = 'friendly';

/** The workflow's reading of its input's tone: a known tone, else the default (runs started before crews had one). */
export function crewTone(tone: unknown): Tone {
  return isTone(tone) ? tone : CREW_DEFAULT_TONE;
}
