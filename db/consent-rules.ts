/**
 * Consent per purpose: pure rules (no database), shared by the ledger (db/consent.ts), the send gate
 * (activities/messaging.ts) and the consent API. Unit and property tests: test/db/consent-purposes.test.ts.
 *
 * A text is sent only with consent for its purpose:
 * - `checkins`, `crews`, `mentorship` (transactional): granted by joining (signup, a crew, a match) and held until
 *   revoked — per purpose (`opt_out` of that purpose) or all at once (STOP: purpose `all`).
 * - `campaigns` (marketing): only with an explicit opt-in (a guest import's evidence, or an opt-in through the API);
 *   in the ledger as purpose `marketing`.
 *
 * STOP (a global opt-out) revokes every purpose. START lifts the opt-out and restores the transactional purposes the
 * person had when they said STOP: a purpose they had revoked on its own before stays revoked (a START does not
 * override a specific revocation), and campaign (marketing) consent never comes back with START — it needs a new
 * opt-in.
 */

/** The purposes a person consents to texts for, each revocable on its own. */
export const TEXTING_PURPOSES = ['checkins', 'crews', 'mentorship', 'campaigns'] as const;
export type TextingPurpose = (typeof TEXTING_PURPOSES)[number];

/** Transactional purposes: held from joining until revoked. */
export const TRANSACTIONAL_PURPOSES = ['checkins', 'crews', 'mentorship'] as const satisfies TextingPurpose[];

/** The ledger's purpose for a texting purpose (`campaigns` is the ledger's `marketing`). */
export const ledgerPurposeOf = (p: TextingPurpose) => (p === 'campaigns' ? 'marketing' : p);

export type PurposeConsent = Record<TextingPurpose, boolean>;

/** A ledger event, as far as the rule needs it (in id order). */
export interface LedgerEvent {
  purpose: string;
  action: 'opt_in' | 'opt_out';
}

const isTransactionalPurpose = (p: string): p is (typeof TRANSACTIONAL_PURPOSES)[number] =>
  (TRANSACTIONAL_PURPOSES as readonly string[]).includes(p);

/**
 * Consent by purpose from the ledger (in id order) and whether the number is suppressed (STOP, carrier
 * unsubscribe, invalid number: nothing is sent for any purpose while it is).
 */
export function purposeConsent(events: readonly LedgerEvent[], suppressed: boolean): PurposeConsent {
  const revoked = new Set<string>();
  let marketing = false;
  for (const e of events) {
    if (isTransactionalPurpose(e.purpose)) {
      if (e.action === 'opt_out') revoked.add(e.purpose);
      else revoked.delete(e.purpose);
    } else if (e.purpose === 'marketing') {
      marketing = e.action === 'opt_in';
    } else if ((e.purpose === 'all' || e.purpose === 'transactional') && e.action === 'opt_out') {
      // A global opt-out revokes marketing consent; START (a global opt-in) does not grant it back.
      marketing = false;
    }
    // crew_pulses / crew_reflections: consent to share within a crew, not to be texted.
  }
  return {
    checkins: !suppressed && !revoked.has('checkins'),
    crews: !suppressed && !revoked.has('crews'),
    mentorship: !suppressed && !revoked.has('mentorship'),
    campaigns: !suppressed && marketing,
  };
}

/** What the send gate needs of a text to know its purpose. */
export interface SendOfPurpose {
  idempotencyKey: string;
  purpose: 'transactional' | 'marketing';
}

/**
 * The consent purpose a text needs, from its business idempotency key (workflows build them: `member:<id>:…`,
 * `crew-challenge:<id>:…`, `mentorship-match:<id>:…`) and its compliance purpose (every marketing text is a
 * campaign's). `null` for texts that are no purpose's: a direct answer to the person's own text (`inbound:<id>:…`),
 * a sign-in code, a campaign test send the number asked for — those are sent unless the number is suppressed.
 */
export function sendPurposeOf(send: SendOfPurpose): TextingPurpose | null {
  if (send.purpose === 'marketing') return 'campaigns';
  const prefix = send.idempotencyKey.slice(0, send.idempotencyKey.indexOf(':'));
  if (prefix === 'member') return 'checkins';
  if (prefix === 'crew-challenge') return 'crews';
  if (prefix === 'mentorship-match') return 'mentorship';
  return null;
}
