/**
 * Consent per purpose (db/consent-rules.ts): what the ledger says each purpose is, and which purpose a text needs.
 * The rules that must hold for every ledger are fast-check properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  purposeConsent,
  sendPurposeOf,
  TEXTING_PURPOSES,
  TRANSACTIONAL_PURPOSES,
  type LedgerEvent,
} from '../../db/consent-rules.js';

const LEDGER_PURPOSES = [
  'all',
  'transactional',
  'marketing',
  'checkins',
  'crews',
  'mentorship',
  'crew_pulses',
  'crew_reflections',
] as const;
const event = fc.record({
  purpose: fc.constantFrom(...LEDGER_PURPOSES),
  action: fc.constantFrom('opt_in' as const, 'opt_out' as const),
});
const ledger = fc.array(event, { maxLength: 30 });
const STOP: LedgerEvent = { purpose: 'all', action: 'opt_out' };
const START: LedgerEvent = { purpose: 'all', action: 'opt_in' };

describe('consent by purpose from the ledger', () => {
  it('a new member (no events) has every transactional purpose and no campaign consent', () => {
    expect(purposeConsent([], false)).toEqual({
      checkins: true,
      crews: true,
      mentorship: true,
      campaigns: false,
    });
  });

  it('revoking one purpose revokes that purpose only; giving it back restores it', () => {
    const revoked = purposeConsent([{ purpose: 'crews', action: 'opt_out' }], false);
    expect(revoked).toEqual({ checkins: true, crews: false, mentorship: true, campaigns: false });
    const back = purposeConsent(
      [
        { purpose: 'crews', action: 'opt_out' },
        { purpose: 'crews', action: 'opt_in' },
      ],
      false,
    );
    expect(back.crews).toBe(true);
  });

  it('STOP then START: check-ins come back, campaign consent does not, a purpose revoked before stays revoked', () => {
    const events: LedgerEvent[] = [
      { purpose: 'marketing', action: 'opt_in' },
      { purpose: 'mentorship', action: 'opt_out' },
      STOP,
      START,
    ];
    expect(purposeConsent(events, false)).toEqual({
      checkins: true,
      crews: true,
      mentorship: false,
      campaigns: false,
    });
  });

  it('property: while the number is suppressed (STOP), no purpose has consent', () => {
    fc.assert(
      fc.property(ledger, (events) => {
        const c = purposeConsent(events, true);
        expect(TEXTING_PURPOSES.filter((p) => c[p])).toEqual([]);
      }),
    );
  });

  it('property: STOP and START never grant campaign consent; START restores exactly the transactional purposes held at STOP', () => {
    fc.assert(
      fc.property(
        ledger,
        fc.array(fc.constantFrom(STOP, START), { minLength: 1, maxLength: 4 }),
        (events, keys) => {
          const before = purposeConsent(events, false);
          const after = purposeConsent([...events, ...keys], false);
          expect(after.campaigns).toBe(before.campaigns && !keys.includes(STOP));
          for (const p of TRANSACTIONAL_PURPOSES) expect(after[p]).toBe(before[p]);
        },
      ),
    );
  });

  it('property: a change to one purpose leaves every other purpose as it was', () => {
    fc.assert(
      fc.property(
        ledger,
        fc.constantFrom(...TRANSACTIONAL_PURPOSES, 'marketing' as const),
        fc.constantFrom('opt_in' as const, 'opt_out' as const),
        (events, purpose, action) => {
          const before = purposeConsent(events, false);
          const after = purposeConsent([...events, { purpose, action }], false);
          const own = purpose === 'marketing' ? 'campaigns' : purpose;
          expect(after[own]).toBe(action === 'opt_in');
          for (const p of TEXTING_PURPOSES.filter((q) => q !== own)) expect(after[p]).toBe(before[p]);
        },
      ),
    );
  });

  it('property: crew sharing consent never changes a texting purpose', () => {
    fc.assert(
      fc.property(
        ledger,
        fc.constantFrom('crew_pulses', 'crew_reflections'),
        fc.boolean(),
        (events, p, on) => {
          const extra: LedgerEvent = { purpose: p, action: on ? 'opt_in' : 'opt_out' };
          expect(purposeConsent([...events, extra], false)).toEqual(purposeConsent(events, false));
        },
      ),
    );
  });
});

describe('the purpose a text needs', () => {
  const send = (idempotencyKey: string, purpose: 'transactional' | 'marketing' = 'transactional') => ({
    idempotencyKey,
    purpose,
  });

  it('by the workflow that sends it', () => {
    expect(sendPurposeOf(send('member:3f1c:checkin:2026-11-30'))).toBe('checkins');
    expect(sendPurposeOf(send('member:3f1c:welcome'))).toBe('checkins');
    expect(sendPurposeOf(send('crew-challenge:c1:pulse:2:member:3f1c'))).toBe('crews');
    expect(sendPurposeOf(send('mentorship-match:m1:offer:x'))).toBe('mentorship');
    expect(sendPurposeOf(send('campaign:c1:guest:g1', 'marketing'))).toBe('campaigns');
  });

  it('a direct answer to the person’s own text, a sign-in code or a test send is no purpose’s', () => {
    expect(sendPurposeOf(send('inbound:42:clarify'))).toBeNull();
    expect(sendPurposeOf(send('signin:3f1c'))).toBeNull();
    expect(sendPurposeOf(send('campaign:c1:test:t1'))).toBeNull();
  });

  it('property: every marketing text is a campaign’s, whatever its key', () => {
    fc.assert(
      fc.property(fc.string(), (key) => {
        expect(sendPurposeOf(send(key, 'marketing'))).toBe('campaigns');
      }),
    );
  });
});
