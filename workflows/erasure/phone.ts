/**
 * `erasure-phone-<erasure id>`: the durable part of erasing a number that is not a member's (issue 12,
 * `POST /privacy/erasures`). In order, each step recorded on the erasure record and idempotent, so a crash resumes
 * where it was:
 * 1. every campaign not yet over that held a guest entry of the number is told `guestsErased` (it leaves them out
 *    of every batch it plans; a batch already sending is stopped at the send gate);
 * 2. `member`: a guest has no workflow of their own, so this step is passed at once;
 * 3. the rows, again (a no-op when the API's own transaction already erased them);
 * 4. last, the keys of the number's guest, inbound and test-send subjects are destroyed, and the key that sealed
 *    the number in this workflow's own input and activity inputs (`erasure:<id>`).
 * The number never appears in the workflow id, memo or search attributes.
 */
import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { createErasureActivities } from '../../activities/erasure.js';
import { guestsErasedSignal } from '../guest-campaign/definitions.js';
import { guestCampaignWorkflowId } from '../ids.js';
import { DB_WRITE } from '../lib/activity-options.js';
import type { PhoneErasureInput, PhoneErasureResult } from './definitions.js';

const erasure = proxyActivities<ReturnType<typeof createErasureActivities>>(DB_WRITE);

export async function phoneErasureWorkflow(input: PhoneErasureInput): Promise<PhoneErasureResult> {
  const { erasureId, requestedBy, target } = input;
  let campaignsTold = 0;
  for (const { campaignId, guestIds } of input.campaigns)
    if (await told(campaignId, guestIds)) campaignsTold += 1;
  await erasure.recordErasureStep({ erasureId, step: 'workflows' });
  await erasure.recordErasureStep({ erasureId, step: 'member' });
  await erasure.erasePhoneRows({ erasureId, requestedBy, target });
  await erasure.recordErasureStep({ erasureId, step: 'rows' });
  await erasure.shredSubjects({ subjects: [...input.subjects, target.subject] });
  await erasure.recordErasureStep({ erasureId, step: 'shred' });
  await erasure.recordErasureStep({ erasureId, step: 'done' });
  return { campaignsTold };
}

/** Signal a campaign if it is running; false when it is closed or was never started (nothing to drop there). */
async function told(campaignId: string, guestIds: string[]): Promise<boolean> {
  try {
    await getExternalWorkflowHandle(guestCampaignWorkflowId(campaignId)).signal(guestsErasedSignal, {
      guestIds,
    });
    return true;
  } catch {
    return false;
  }
}
