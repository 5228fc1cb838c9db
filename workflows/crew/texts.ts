/** Every text of crew membership by SMS (`JOIN <code>`, `LEAVE`). Each fits 2 segments (test/unit/crew-answers.test.ts). */

/**
 * The confirmation a member replies YES to: its words are the consent recorded in the ledger (db/crews.ts keeps
 * the same statement for joins by API).
 */
export function joinConfirmText(crewName: string, k: number): string {
  return `Join crew "${clip(crewName)}"? Your daily answers will count towards anonymised crew figures, shared only when at least ${k} members answered. Reply YES to join or NO to cancel.`;
}
export function joinedText(crewName: string): string {
  return `You joined crew "${clip(crewName)}". Its daily question comes by text; text LEAVE to leave. ${NOTES_INVITE}`;
}
export function alreadyMemberText(crewName: string): string {
  return `You are already in crew "${clip(crewName)}".`;
}
export function crewFullText(crewName: string): string {
  return `Sorry, crew "${clip(crewName)}" is full. Ask its organiser, or try another crew.`;
}
export function wrongCodeText(code: string): string {
  return `No crew has the code ${code}. Check the code and text JOIN followed by it, e.g. "JOIN K7MX2Q".`;
}
export const JOIN_CANCELLED_TEXT = 'OK, you did not join the crew.';
export function leftText(crewName: string): string {
  return `You left crew "${clip(crewName)}". Your own check-ins go on as usual.`;
}
export const NOT_IN_CREW_TEXT =
  'You are not in that crew. Text LEAVE followed by the crew code to leave a crew.';
export function chooseCrewText(crews: ReadonlyArray<{ name: string; joinCode: string }>): string {
  const list = crews
    .slice(0, 5)
    .map((c) => `${c.joinCode} ${clip(c.name, 20)}`)
    .join(', ');
  return `You are in ${crews.length} crews. Text LEAVE and the code of the one to leave: ${list}.`;
}

/**
 * The confirmation to a phone that is not a member's yet: the member welcome's terms (a daily check-in, rates,
 * STOP) and the crew's consent statement in one text; its YES is the double opt-in for both.
 */
export function newcomerConfirmText(crewName: string, k: number, checkInTime: string): string {
  return `Welcome to Crewline! Join crew "${clip(crewName, 30)}"? You get a daily check-in text at ${checkInTime}, and your answers count towards anonymised crew figures shared only when ${k}+ members answered. Reply YES to join, NO to cancel. Msg&data rates may apply. STOP to opt out.`;
}
export function newcomerJoinedText(crewName: string, checkInTime: string): string {
  return `You are in crew "${clip(crewName)}"! Your daily check-in comes at ${checkInTime}. Text LEAVE to leave the crew, HELP for help. ${NOTES_INVITE}`;
}

/** Answers to `REPORT` (the reflection named by its challenge and day, never by its words or author). */
export const REPORT_NOTHING_TEXT =
  'There is no crew note to report. REPORT reports the newest note shared in your crew.';
export function reportedText(title: string, day: number, hidden: boolean): string {
  return hidden
    ? `Thanks. The crew note from day ${day} of "${clip(title)}" is now hidden from the crew.`
    : `Thanks, you reported the crew note from day ${day} of "${clip(title)}". A note reported by 2 members is hidden.`;
}
export function reportTooNewText(minDays: number): string {
  return `Thanks, but crew notes can be reported after ${minDays} days in the crew. Text HELP if something is wrong.`;
}

// ---- consent to share reflections by SMS (`NOTES ON|OFF [<code>]`), separately from the pulses ----------------

/**
 * The words that offer the choice (in the welcome texts): recorded with the consent as the exact text shown, next
 * to the statement (db/crews.ts SHARING_STATEMENTS.crew_reflections) it stands for.
 */
export const NOTES_INVITE =
  'Text NOTES ON to let your notes be shared with the crew after redaction and moderation, NOTES OFF to stop.';
export const NOTES_NOT_IN_CREW_TEXT =
  'You are not in that crew. Text NOTES ON or NOTES OFF followed by your crew code.';
export function notesOnText(crewName: string): string {
  return `Your notes in crew "${clip(crewName)}" may now be shared with the crew, after redaction and moderation, without your name. Text NOTES OFF to stop.`;
}
export function notesOffText(crewName: string): string {
  return `Your notes in crew "${clip(crewName)}" are no longer shared with the crew. Text NOTES ON to share them again.`;
}
export function chooseNotesCrewText(
  on: boolean,
  crews: ReadonlyArray<{ name: string; joinCode: string }>,
): string {
  const list = crews
    .slice(0, 5)
    .map((c) => `${c.joinCode} ${clip(c.name, 20)}`)
    .join(', ');
  return `You are in ${crews.length} crews. Text NOTES ${on ? 'ON' : 'OFF'} and the code of the crew: ${list}.`;
}

function clip(s: string, max = 40): string {
  return s.length <= max ? s : `${s.slice(0, max - 3).trimEnd()}...`;
}
