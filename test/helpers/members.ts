import { randomBytes, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client.js';
import { insertMember } from '../../db/members.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { memberStateQuery, type MemberSnapshot } from '../../workflows/member/definitions.js';
import { waitFor } from './temporal.js';

export const OUR_NUMBER = '+15005550006';

/** An inbound text as Twilio posts it to `POST /webhooks/twilio/sms` (signed or not: the caller decides). */
export interface InboundText {
  MessageSid: string;
  From: string;
  To: string;
  Body: string;
}
export type PostInbound = (text: InboundText) => Promise<{ status: number }>;

interface RequestsApp {
  request(path: string, init: RequestInit): Response | Promise<Response>;
}

export const newMessageSid = () => `SM${randomBytes(16).toString('hex')}`;

/** Posts inbound texts to an app without Twilio credentials (sandbox: webhooks are accepted unsigned). */
export function sandboxInbound(app: RequestsApp): PostInbound {
  return async (text) =>
    app.request('/webhooks/twilio/sms', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...text }).toString(),
    });
}

/**
 * Onboarding: members created through the API get a welcome text ("Reply YES to start") and no check-in
 * prompts until they confirm. This replies YES from the member's phone through the webhook and waits until the
 * member workflow reports `active`.
 */
export async function confirmMember(
  client: Client,
  member: { id: string; phone: string },
  post: PostInbound,
  timeoutMs = 15_000,
): Promise<MemberSnapshot> {
  const res = await post({ MessageSid: newMessageSid(), From: member.phone, To: OUR_NUMBER, Body: 'YES' });
  if (res.status !== 200) throw new Error(`the YES webhook answered ${res.status}`);
  const handle = client.workflow.getHandle(memberWorkflowId(member.id));
  return waitFor(
    async () => {
      const live = await handle.query(memberStateQuery);
      return live.status === 'active' && live;
    },
    `member ${member.id} to be active after YES`,
    timeoutMs,
  );
}

/**
 * An active member written straight to the database (no member workflow, no welcome text): named Kim (so a test
 * can check a name never shows), checking in at 19:00 in `timezone`.
 */
export async function insertActiveMember(
  db: Db,
  phone: string,
  timezone: string,
): Promise<{ id: string; phone: string }> {
  const id = randomUUID();
  await insertMember(db, { id, name: 'Kim', phone, timezone, checkInTime: '19:00', status: 'active' });
  return { id, phone };
}
