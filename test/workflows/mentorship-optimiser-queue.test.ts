/**
 * A match whose ranked list runs out and whose optimiser pick also says no goes to the operator queue with the
 * reason — only when nothing fits any more. On the time-skipping server, alone in its file (see
 * mentorship-optimiser-fakes.ts): every wait is on a query, a describe() or the recorded texts, never on result().
 */
import { describe, expect, it } from 'vitest';
import { answerOfferUpdate, matchStateQuery } from '../../workflows/mentorship-match/definitions.js';
import { captureHistory } from '../helpers/histories.js';
import { skipTo, waitFor } from '../helpers/temporal.js';
import { H, optimiserScenario, WAIT_MS } from './mentorship-optimiser-fakes.js';

const s = optimiserScenario();

describe('the optimiser re-matches the pool when the ranked list runs out', () => {
  it('goes to the operator queue with the reason only when nothing fits any more', async () => {
    await s.toMorning();
    const qin = await s.startMentor('qin', 1);
    const rui = await s.startMentor('rui', 1);
    s.candidatesOf.set('o2', [s.candidate('qin', 0.9)]);
    s.picksOf.set('o2', [s.candidate('rui', 0.6)]);
    const match = await s.startMatch({
      matchId: 'o2',
      menteeMemberId: 'mentee-o2',
      shareRisk: false,
      acceptHours: 24,
    });
    const start = await s.t.env.currentTimeMs();
    await waitFor(() => s.kindsTo('member-of-qin').length === 1, 'the ranked offer', WAIT_MS);
    // Qin lets it expire (24 waking hours: 21:00 the next day); the optimiser's offer to Rui waits for 08:00.
    await skipTo(s.t.env, new Date(start + 47 * H));
    await waitFor(
      async () => (await match.query(matchStateQuery)).offers.some((o) => o.mentorId === 'rui'),
      "the optimiser's offer after the expiry",
      WAIT_MS,
    );
    await waitFor(() => s.kindsTo('member-of-rui').length === 1, "the optimiser's offer text", WAIT_MS);
    expect(s.kindsTo('member-of-qin')).toEqual(['mentorship_offer', 'mentorship_offer_reminder']);
    expect((await match.query(matchStateQuery)).status).toBe('offered');
    await match.executeUpdate(answerOfferUpdate, { args: [{ mentorId: 'rui', accept: false }] });
    await s.closed(match);
    const st = await match.query(matchStateQuery);
    expect(st.status).toBe('unmatched');
    expect(st.offers.map((o) => [o.mentorId, o.rank, o.status])).toEqual([
      ['qin', 1, 'expired'],
      ['rui', 2, 'declined'],
    ]);
    expect(st.unmatchedReason).toBe(
      'all 1 candidates declined, let the offer expire or were full; optimiser: no mentor with a free slot and not yet offered scores at least 0.5',
    );
    expect(s.optimiserCalls.filter((c) => c.matchId === 'o2').map((c) => c.exclude)).toEqual([
      ['qin'],
      ['qin', 'rui'],
    ]);
    await waitFor(() => s.kindsTo('mentee-o2').length > 0, 'the mentee told', WAIT_MS);
    expect(s.kindsTo('mentee-o2')).toEqual(['mentorship_unmatched']);
    // Declined by API: no acknowledgement text to Rui.
    expect(s.kindsTo('member-of-rui')).toEqual(['mentorship_offer']);
    await captureHistory('mentorship-match-optimiser', match);
    await qin.terminate();
    await rui.terminate();
  }, 300_000);
});
