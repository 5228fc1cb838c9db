/** Every text of crew membership by SMS (`JOIN <code>`, `LEAVE`). Each fits 2 segments (test/unit/crew-answers.test.ts). */

/**
 * The confirmation a member replies YES to: its words are the consent recorded in the ledger (db/crews.ts keeps
 * the same statement for joins by API).
 */
export function joinConfirmText(crewName: string, k: number): string {
  return `Join crew "${clip(crewName)}"? Your daily answers will count towards anonymised crew figures, shared only when at least ${k} members answered. Reply YES to join or NO to cancel.`;
}
export function joinedText(crewName: string): string {
  return `You joined crew "${clip(crewName)}". Its daily question comes by text; text LEAVE to leave.`;
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

function clip(s: string, max = 40): string {
  return s.length <= max ? s : `${s.slice(0, max - 3).trimEnd()}...`;
}
