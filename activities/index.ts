import type OpenAI from 'openai';
import { shredSubject } from '../db/subject-keys.js';
import type { Db } from '../db/client.js';
import { createAiActivities } from './ai/index.js';
import { createCampaignActivities } from './campaigns.js';
import { createCrewActivities } from './crews.js';
import { createReflectionActivities } from './crews/reflections.js';
import { createMemberActivities } from './members.js';
import { createMentorshipActivities } from './mentorship.js';
import { createMessagingActivities } from './messaging.js';
import { createRetentionActivities } from './retention.js';
import { createErasureActivities } from './erasure.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import type { SmsProvider } from './sms/provider.js';
import type { AutoReplyLimits } from '../workflows/lib/auto-replies.js';
import type { CompliancePolicy } from '../workflows/lib/compliance.js';
import type { RetentionPolicy } from '../workflows/retention/values.js';

export interface ActivityDeps {
  db: Db;
  sms: SmsProvider;
  /** Guest campaigns' second sender (TWILIO_SECONDARY_FROM): undelivered 30003/30007 texts are retried from it once. */
  secondarySms?: SmsProvider;
  /** Quiet hours and caps; DEFAULT_POLICY when omitted. */
  policy?: CompliancePolicy;
  defaultTimezone?: string;
  /** The sender's MPS: sends are spaced by segments ÷ MPS across all workers. Omitted = no spacing. */
  smsPerSecond?: number;
  /** AI texts; omitted or openai null → deterministic templates. */
  ai?: { openai: OpenAI | null; model: string; dailyBudgetMicroUsd?: number };
  /** SMS and AI metrics (activities/metrics.ts); a private registry when omitted. */
  metrics?: WorkerMetrics;
  /** The retention policy and purge hour (issue 12); the defaults when omitted. */
  retention?: { policy: RetentionPolicy; purgeHourUtc: number };
  /** Automatic replies per phone per hour (workflows/lib/auto-replies.ts); omitted = no limit. */
  autoReplies?: AutoReplyLimits;
  /** Erasure's final step (issue 12 §2): destroys the subject's payload key; default db/subject-keys.ts `shredSubject`. */
  shredSubject?: (subject: string) => Promise<void>;
  /** MAX_TEXTS_PER_DAY: the per-phone daily cap (workflows/messaging/daily-cap.ts); omitted = no cap. */
  textsPerDay?: number;
}

/**
 * Activity groups. Each workflow proxies a group typed by its own factory (`workflows/lib/activity-options.ts`),
 * so a member proxy cannot reach AI activities. Activities are registered by name in one flat map, so no two
 * factories may define the same name: `NoSharedNames` fails to compile if they do.
 */
type Names<F extends (...args: never[]) => object> = keyof ReturnType<F>;
type Messaging = Names<typeof createMessagingActivities>;
type Members = Names<typeof createMemberActivities>;
type Ai = Names<typeof createAiActivities>;
type Campaigns = Names<typeof createCampaignActivities>;
type Mentorship = Names<typeof createMentorshipActivities>;
type Crews = Names<typeof createCrewActivities>;
type Reflections = Names<typeof createReflectionActivities>;
type Retention = Names<typeof createRetentionActivities>;
type Erasure = Names<typeof createErasureActivities>;
type Disjoint<A, B> = [Extract<A, B>] extends [never] ? true : { sharedActivityNames: Extract<A, B> };
type Assert<T extends true> = T;
/** Compile-time check: fails to compile (naming them) if two activity factories define the same name. */
export type NoSharedNames = [
  Assert<Disjoint<Messaging, Members>>,
  Assert<Disjoint<Messaging, Ai>>,
  Assert<Disjoint<Members, Ai>>,
  Assert<Disjoint<Campaigns, Messaging | Members | Ai>>,
  Assert<Disjoint<Mentorship, Messaging | Members | Ai | Campaigns>>,
  Assert<Disjoint<Crews, Messaging | Members | Ai | Campaigns | Mentorship>>,
  Assert<Disjoint<Reflections, Messaging | Members | Ai | Campaigns | Mentorship | Crews>>,
  Assert<Disjoint<Retention, Messaging | Members | Ai | Campaigns | Mentorship | Crews | Reflections>>,
  Assert<
    Disjoint<Erasure, Messaging | Members | Ai | Campaigns | Mentorship | Crews | Reflections | Retention>
  >,
];

/** Every activity, built from its dependencies (the worker registers this map). */
export function createActivities(given: ActivityDeps) {
  const deps = { ...given, metrics: given.metrics ?? createWorkerMetrics() };
  return {
    ...createMessagingActivities(deps),
    ...createMemberActivities(deps),
    ...createCampaignActivities(deps),
    ...createMentorshipActivities(deps),
    ...createCrewActivities(deps),
    ...createReflectionActivities({ db: deps.db, openai: deps.ai?.openai ?? null }),
    ...createRetentionActivities({ db: deps.db, retention: deps.retention }),
    ...createErasureActivities({
      db: deps.db,
      shredSubject: deps.shredSubject ?? (async (subject) => void (await shredSubject(deps.db, subject))),
    }),
    ...createAiActivities({
      db: deps.db,
      openai: deps.ai?.openai ?? null,
      model: deps.ai?.model ?? 'gpt-4o-mini',
      dailyBudgetMicroUsd: deps.ai?.dailyBudgetMicroUsd,
      metrics: deps.metrics,
    }),
  };
}
