/** What a campaign text's delivery failure leads to (workflows/guest-campaign/delivery.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CAMPAIGN_SENDERS,
  deliveryDecision,
  type DeliveryFacts,
} from '../../workflows/guest-campaign/delivery.js';
import { CAMPAIGN_STATUSES, RECIPIENT_STATES } from '../../workflows/guest-campaign/values.js';

const base: DeliveryFacts = {
  messageStatus: 'undelivered',
  errorCode: 30007,
  recipientState: 'sent',
  sender: 'primary',
  campaignStatus: 'completed',
  secondaryConfigured: true,
};

const facts = fc.record({
  messageStatus: fc.constantFrom('queued', 'sent', 'delivered', 'undelivered', 'failed', 'read', 'canceled'),
  errorCode: fc.option(fc.constantFrom(30003, 30004, 30005, 30006, 30007, 30008, 21610, 30036), {
    nil: null,
  }),
  recipientState: fc.constantFrom(...RECIPIENT_STATES),
  sender: fc.constantFrom(...CAMPAIGN_SENDERS),
  campaignStatus: fc.constantFrom(...CAMPAIGN_STATUSES),
  secondaryConfigured: fc.boolean(),
});

describe('deliveryDecision', () => {
  it('retries carrier filtering and an unreachable handset from the second sender', () => {
    expect(deliveryDecision(base)).toEqual({ action: 'retry', reason: 'second_sender:30007' });
    expect(deliveryDecision({ ...base, errorCode: 30003, messageStatus: 'failed' })).toEqual({
      action: 'retry',
      reason: 'second_sender:30003',
    });
    expect(deliveryDecision({ ...base, campaignStatus: 'paused' }).action).toBe('retry');
  });

  it('marks, without a retry: no second sender, already from it, a cancelled campaign, 30005/30006', () => {
    const mark = (f: Partial<DeliveryFacts>, code = f.errorCode ?? 30007) =>
      expect(deliveryDecision({ ...base, ...f })).toEqual({ action: 'mark', reason: `undelivered:${code}` });
    mark({ secondaryConfigured: false });
    mark({ sender: 'secondary' });
    mark({ campaignStatus: 'cancelled' });
    mark({ errorCode: 30005 });
    mark({ errorCode: 30006 });
  });

  it('does nothing for a delivered text, other codes, or a guest not (or no longer) sent', () => {
    expect(deliveryDecision({ ...base, messageStatus: 'delivered' }).action).toBe('none');
    expect(deliveryDecision({ ...base, errorCode: 30004 }).action).toBe('none');
    expect(deliveryDecision({ ...base, errorCode: null }).action).toBe('none');
    expect(deliveryDecision({ ...base, recipientState: 'pending' }).action).toBe('none');
  });

  it('for all inputs: a retry only from the primary, with a second sender, after a 30003/30007 failure, never when cancelled', () => {
    fc.assert(
      fc.property(facts, (f) => {
        const d = deliveryDecision(f);
        if (d.action === 'retry') {
          expect(f.sender).toBe('primary');
          expect(f.secondaryConfigured).toBe(true);
          expect([30003, 30007]).toContain(f.errorCode);
          expect(['undelivered', 'failed']).toContain(f.messageStatus);
          expect(f.recipientState).toBe('sent');
          expect(['cancelled', 'draft']).not.toContain(f.campaignStatus);
        }
        // The second sender's own failure is never retried: at most two texts per guest and round.
        if (f.sender === 'secondary') expect(d.action).not.toBe('retry');
        if (f.messageStatus === 'delivered' || f.messageStatus === 'read') expect(d.action).toBe('none');
      }),
    );
  });
});
