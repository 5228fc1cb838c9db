/**
 * Erasure by phone (issue 12, `POST /privacy/erasures`) in the workflows, on the time-skipping server with fake
 * activities (their histories are committed plaintext for the replay test):
 * - a running guest campaign told `guestsErased` leaves that guest out of every batch it plans afterwards, even
 *   when the list of due guests it is handed was read before the guest's rows went
 *   (`patched('guest-campaign-erased-drop')`: with the old code the guest is in the next batch);
 * - `erasure-phone-<id>` tells every running campaign that held the guest, records its steps in order, erases the
 *   rows and shreds the number's subjects and its own `erasure:<id>` subject last.
 * The real activities, a real campaign and the codec: test/workflows/erasure-phone.test.ts.
 */
import { Client } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { createCampaignActivities, GuestSendResult } from '../../activities/campaigns.js';
import type { createErasureActivities } from '../../activities/erasure.js';
import type { PhoneErasureInput } from '../../workflows/erasure/definitions.js';
import { phoneErasureWorkflow } from '../../workflows/erasure/phone.js';
import {
  cancelUpdate,
  guestsErasedSignal,
  progressQuery,
  type GuestCampaignInput,
} from '../../workflows/guest-campaign/definitions.js';
import { guestCampaignWorkflow } from '../../workflows/guest-campaign/workflow.js';
import { guestCampaignWorkflowId, phoneErasureWorkflowId, TASK_QUEUE } from '../../workflows/ids.js';
import { captureHistory } from '../helpers/histories.js';
import { timeSkippingWorkers, waitFor } from '../helpers/temporal.js';

type CampaignActs = ReturnType<typeof createCampaignActivities>;
type ErasureActs = ReturnType<typeof createErasureActivities>;

/** Per campaign: its guests, who was handed to a batch, and the guest erased before the first batch. */
const campaignsState = new Map<
  string,
  { guests: string[]; batches: string[][]; sent: Set<string>; erase?: string; erased: boolean }
>();
const steps: string[] = [];
const rowsErased: Parameters<ErasureActs['erasePhoneRows']>[0][] = [];
const shredded: string[][] = [];

const campaignFakes: Pick<
  CampaignActs,
  'setCampaignStatus' | 'prepareCampaign' | 'dueCampaignGuests' | 'sendCampaignBatch'
> = {
  async setCampaignStatus() {},
  async prepareCampaign() {
    return { noConsent: 0 };
  },
  async dueCampaignGuests({ campaignId }) {
    const c = campaignsState.get(campaignId)!;
    const due = c.guests.filter((g) => !c.sent.has(g) && !(c.erased && g === c.erase));
    if (c.erase && !c.erased) {
      // The guest is erased while this list is being read: the list still names them (read before their rows
      // went), and the erasure's signal reaches the workflow before this result does.
      c.erased = true;
      const handle = t.env.client.workflow.getHandle(guestCampaignWorkflowId(campaignId));
      await handle.signal(guestsErasedSignal, { guestIds: [c.erase] });
      await waitFor(
        async () => {
          const events = (await handle.fetchHistory()).events ?? [];
          const at = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
          return at >= 0 && events.slice(at + 1).some((e) => e.workflowTaskCompletedEventAttributes);
        },
        'the workflow to take the signal',
        60_000,
      );
    }
    return { guestIds: due, nextHoldEndMs: null };
  },
  async sendCampaignBatch({ campaignId, guestIds }) {
    const c = campaignsState.get(campaignId)!;
    c.batches.push(guestIds);
    return guestIds.map((guestId): GuestSendResult => {
      c.sent.add(guestId);
      return { guestId, outcome: 'sent' };
    });
  },
};

const erasureFakes: Pick<ErasureActs, 'recordErasureStep' | 'erasePhoneRows' | 'shredSubjects'> = {
  async recordErasureStep({ step }) {
    steps.push(step);
  },
  async erasePhoneRows(r) {
    rowsErased.push(r);
    return true;
  },
  async shredSubjects({ subjects }) {
    shredded.push(subjects);
  },
};

const t = timeSkippingWorkers({ ...campaignFakes, ...erasureFakes });
/** A client that never lets the server skip time (the waiting campaign's far timer must not fire). */
let plain: Client;
beforeAll(() => {
  plain = new Client({ connection: t.env.connection });
});

function startCampaign(input: GuestCampaignInput) {
  return t.env.client.workflow.start(guestCampaignWorkflow, {
    taskQueue: TASK_QUEUE,
    workflowId: guestCampaignWorkflowId(input.campaignId),
    args: [input],
  });
}

describe('a running campaign told guestsErased', () => {
  it('never hands the erased guest to a batch, though the due list read before the erasure named them', async () => {
    const campaignId = 'c-erased-drop';
    campaignsState.set(campaignId, {
      guests: ['g-1', 'g-2', 'g-3'],
      batches: [],
      sent: new Set(),
      erase: 'g-2',
      erased: false,
    });
    const h = await startCampaign({ campaignId, batchSize: 10, lanes: 1 });
    const done = await waitFor(
      async () => {
        const p = await h.query(progressQuery);
        return p.status === 'completed' && p;
      },
      'the campaign to complete',
      60_000,
    );
    const c = campaignsState.get(campaignId)!;
    expect(c.batches.flat().sort()).toEqual(['g-1', 'g-3']);
    expect(c.batches.flat()).not.toContain('g-2');
    expect(done.counts.sent).toBe(2);
    await captureHistory('guest-campaign-erased-drop', h);
  }, 120_000);
});

describe('erasure-phone-<id>', () => {
  it('tells the running campaigns, records each step in order, erases the rows and shreds last', async () => {
    // A campaign waiting for its start holds the guest; another was never started (nothing to tell).
    const running = 'c-waiting';
    campaignsState.set(running, { guests: ['g-9'], batches: [], sent: new Set(), erased: false });
    const campaign = await startCampaign({ campaignId: running, startAtMs: Date.now() + 30 * 86_400_000 });
    await waitFor(
      async () => (await campaign.query(progressQuery)).status === 'scheduled',
      'the campaign to be scheduled',
      60_000,
    );
    const erasureId = '6a1f2c3d-0000-4000-8000-00000000e1a5';
    const input: PhoneErasureInput = {
      erasureId,
      requestedBy: 'env-key:env',
      target: { subject: `erasure:${erasureId}`, phone: '+15555550199' },
      campaigns: [
        { campaignId: running, guestIds: ['g-9'] },
        { campaignId: 'c-never-started', guestIds: ['g-10'] },
      ],
      subjects: ['guest:g-9', 'guest:g-10', 'inbound:41', 'test-send:t-1'],
    };
    const h = await t.env.client.workflow.start(phoneErasureWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId: phoneErasureWorkflowId(erasureId),
      args: [input],
    });
    // Polled, not awaited: the campaign's far timer must not be skipped to.
    await waitFor(
      async () => (await h.describe()).status.name === 'COMPLETED',
      'the erasure to complete',
      60_000,
    );
    expect(await plain.workflow.getHandle(h.workflowId).result()).toEqual({ campaignsTold: 1 });
    expect(steps).toEqual(['workflows', 'member', 'rows', 'shred', 'done']);
    expect(rowsErased).toEqual([{ erasureId, requestedBy: 'env-key:env', target: input.target }]);
    expect(shredded).toEqual([[...input.subjects, `erasure:${erasureId}`]]);
    // The campaign got the guest ids (never the number).
    const signalled = (await campaign.fetchHistory()).events?.find(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'guestsErased',
    );
    expect(signalled).toBeDefined();
    const payload = signalled!.workflowExecutionSignaledEventAttributes!.input!.payloads![0]!;
    expect(JSON.parse(Buffer.from(payload.data!).toString())).toEqual({ guestIds: ['g-9'] });
    // Nor is the number in the erasure's id, memo or search attributes.
    const d = await h.describe();
    expect(JSON.stringify([d.workflowId, d.memo ?? {}, d.searchAttributes])).not.toContain('5555550199');
    await captureHistory('erasure-phone', h);
    await campaign.executeUpdate(cancelUpdate);
  }, 120_000);
});
