/**
 * The retention purge activity (issue 12): what the daily purge removes, class by class, as of the workflow's
 * clock. The policy is read from the worker's config at each run, so a changed `RETENTION_*` applies from the
 * next purge on without touching the running workflow.
 */
import { heartbeat } from '@temporalio/activity';
import type { Db } from '../db/client.js';
import {
  purgeAiUsage,
  purgeAuditEvents,
  purgeInboundBodies,
  purgeMessageBodies,
  purgeReflections,
  purgeSignInCodes,
} from '../db/retention.js';
import type { PurgeResult } from '../workflows/retention/definitions.js';
import { cutoff } from '../workflows/retention/schedule.js';
import {
  DEFAULT_PURGE_HOUR_UTC,
  DEFAULT_RETENTION,
  type RetentionPolicy,
} from '../workflows/retention/values.js';

export interface RetentionDeps {
  db: Db;
  retention?: { policy: RetentionPolicy; purgeHourUtc: number } | undefined;
}

export function createRetentionActivities({ db, retention }: RetentionDeps) {
  const policy = retention?.policy ?? DEFAULT_RETENTION;
  const purgeHourUtc = retention?.purgeHourUtc ?? DEFAULT_PURGE_HOUR_UTC;
  return {
    /** Purges everything older than its class's retention as of `asOf`; returns the counts and the next hour. */
    async purgeExpiredData({ asOf }: { asOf: string }): Promise<PurgeResult & { hourUtc: number }> {
      const at = new Date(asOf);
      const beat = () => heartbeat();
      const before = (days: number) => cutoff(at, days);
      // Sign-in codes first: their texts' bodies go sooner than other bodies.
      const codeRows = await purgeSignInCodes(db, before(policy.sign_in_codes), beat);
      const codeTexts = await purgeMessageBodies(db, before(policy.sign_in_codes), beat, 'sign_in_code');
      const purged = {
        sign_in_codes: codeRows + codeTexts,
        message_bodies: await purgeMessageBodies(db, before(policy.message_bodies), beat),
        inbound_texts: await purgeInboundBodies(db, before(policy.inbound_texts), beat),
        reflections: await purgeReflections(db, before(policy.reflections), beat),
        ai_usage: await purgeAiUsage(db, before(policy.ai_usage), beat),
        audit: await purgeAuditEvents(db, before(policy.audit), beat),
      };
      return { asOf, purged, hourUtc: purgeHourUtc };
    },
  };
}
