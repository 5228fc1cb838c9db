/**
 * Marking personal data for the payload codec (db/payload-codec.ts). The SDK's codec sees payloads, never the
 * workflow they belong to (temporalio/features#434), so the data subject travels inside the payload: any object
 * with a `subject` field of the form `<kind>:<id>` is sealed whole with that subject's data key before it leaves
 * the process, and becomes the tombstone `{ subject, erased: true }` once the subject's key is destroyed.
 * Pure and deterministic: usable in workflow code.
 */

/**
 * Who personal data is about. Ids only: a subject never contains a phone number, name or e-mail. `erasure:<id>`
 * seals the number an erasure by phone works on (workflows/erasure/phone.ts), shredded when it is done.
 */
export const SUBJECT_KINDS = ['member', 'guest', 'mentor', 'inbound', 'test-send', 'erasure'] as const;
export type SubjectKind = (typeof SUBJECT_KINDS)[number];
export type Subject = `${SubjectKind}:${string}`;

const SUBJECT_RE = new RegExp(`^(${SUBJECT_KINDS.join('|')}):[A-Za-z0-9_.-]{1,100}$`);

export function isSubject(value: unknown): value is Subject {
  return typeof value === 'string' && SUBJECT_RE.test(value);
}

export function subjectOf(kind: SubjectKind, id: string | number): Subject {
  const s = `${kind}:${id}`;
  if (!isSubject(s)) throw new TypeError('not a valid subject id');
  return s;
}

/** `data` marked as personal data of `subject` (the codec seals the whole object). */
export function aboutSubject<T extends object>(subject: Subject, data: T): T & { subject: Subject } {
  return { ...data, subject };
}

/**
 * The field of a marked object naming the other people whose words it carries (a text quoting one member to
 * another, a briefing about the mentee sent to the mentor): the codec seals the object under every one of these
 * keys as well as `subject`'s, so it becomes unreadable after ANY of them is erased (db/payload-codec.ts).
 */
export const ALSO_ABOUT_FIELD = 'alsoAbout';

/** `<kind>:<id>` when that is a valid subject, else null (never throws). */
export function subjectIf(kind: SubjectKind, id: string | number | null | undefined): Subject | null {
  if (id === null || id === undefined) return null;
  const s = `${kind}:${id}`;
  return isSubject(s) ? s : null;
}

/**
 * `data` marked as personal data of the first valid subject, and also of every other valid one (the codec seals
 * it under all their keys); unchanged when none is valid. Never throws (workflow code).
 */
export function markedForAll<T extends object>(subjects: ReadonlyArray<Subject | null>, data: T): T {
  const valid = [...new Set(subjects.filter((s): s is Subject => isSubject(s)))];
  if (valid.length === 0) return data;
  const [subject, ...also] = valid;
  return { ...data, subject, ...(also.length > 0 && { [ALSO_ABOUT_FIELD]: also }) };
}

/** A value without the marking fields (what an API answer shows; the codec restores them on decode). */
export function unmarked<T extends object>(value: T): Omit<T, 'subject' | typeof ALSO_ABOUT_FIELD> {
  const rest = { ...value } as Record<string, unknown>;
  delete rest.subject;
  delete rest[ALSO_ABOUT_FIELD];
  return rest as Omit<T, 'subject' | typeof ALSO_ABOUT_FIELD>;
}

/** What a sealed object decodes to after its subject's key was destroyed (crypto-shredding). */
export interface ErasedTombstone {
  subject: Subject;
  erased: true;
}

export function isErased(value: unknown): value is ErasedTombstone {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { erased?: unknown }).erased === true &&
    isSubject((value as { subject?: unknown }).subject)
  );
}

/** The subject a text's recipient belongs to (messaging's `Recipient`). */
export function subjectOfRecipient(
  to:
    | { memberId: string }
    | { guestId: string }
    | { replyToInboundId: number }
    | { campaignTestSendId: string },
): Subject {
  if ('memberId' in to) return subjectOf('member', to.memberId);
  if ('guestId' in to) return subjectOf('guest', to.guestId);
  if ('replyToInboundId' in to) return subjectOf('inbound', to.replyToInboundId);
  return subjectOf('test-send', to.campaignTestSendId);
}

/**
 * `data` marked as personal data of `<kind>:<id>` when that is a valid subject; unchanged otherwise (never
 * throws: workflow code must not fail a task over an id it did not choose, e.g. a test's or an old run's).
 */
export function markedFor<T extends object>(kind: SubjectKind, id: string | number, data: T): T {
  const s = `${kind}:${id}`;
  return isSubject(s) ? aboutSubject(s, data) : data;
}
