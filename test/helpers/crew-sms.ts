import { and, asc, eq, like } from 'drizzle-orm';
import { expect } from 'vitest';
import { drainInbox } from '../../api/inbound.js';
import { inboundMessages, messages } from '../../db/schema.js';
import { BRAND, type testApp } from './app.js';
import { newMessageSid, OUR_NUMBER, sandboxInbound } from './members.js';
import type { TimeSkippingStack } from './stack.js';
import { waitFor } from './temporal.js';

type StackWithApp = TimeSkippingStack & { app: ReturnType<typeof testApp> };

/**
 * Crew commands by SMS (`NOTES`, `REPORT`, `JOIN`…) through the sandbox webhook of a file's `stackWithApp()`:
 * send a text and wait for the answer the test expects.
 */
export function crewSms(t: StackWithApp) {
  /**
   * Under heavy load Temporal may miss the webhook's 3 s routing deadline: the text is then left `pending` for
   * the API's inbox drainer, which test apps do not run. Do what it does (at most every 2 s).
   */
  let drainedAt = 0;
  async function drainWhenSlow() {
    if (Date.now() - drainedAt < 2_000) return;
    drainedAt = Date.now();
    await drainInbox({ db: t.database.db, temporal: t.env.client, brand: BRAND }, { olderThanMs: 2_000 });
  }

  return {
    /** A member's crew command answers (`inbound:<id>:crew_…` keys), oldest first. */
    crewTexts: (memberId: string) =>
      t.database.db
        .select({ kind: messages.kind, body: messages.body })
        .from(messages)
        .where(and(eq(messages.memberId, memberId), like(messages.idempotencyKey, 'inbound:%:crew_%')))
        .orderBy(asc(messages.id)),

    /**
     * Texts `body` from `phone` and waits until `answers()` (the answers the test reads, oldest first) has one
     * more: the inbound row's id and that newest answer.
     */
    textAndWait: async <T>(phone: string, body: string, answers: () => Promise<T[]>) => {
      const before = (await answers()).length;
      const sid = newMessageSid();
      const post = sandboxInbound(t.app);
      expect((await post({ MessageSid: sid, From: phone, To: OUR_NUMBER, Body: body })).status).toBe(200);
      await waitFor(
        async () => (await answers()).length > before || (await drainWhenSlow(), false),
        `the answer to "${body}"`,
        90_000,
      );
      const inbound = await t.database.db.query.inboundMessages.findFirst({
        where: eq(inboundMessages.providerSid, sid),
      });
      return { inboundId: inbound!.id, last: (await answers()).at(-1)! };
    },
  };
}
