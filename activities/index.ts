import type OpenAI from 'openai';
import type { Db } from '../db/client.js';
import { createAiActivities } from './ai/index.js';
import { createMemberActivities } from './members.js';
import { createMessagingActivities } from './messaging.js';
import type { SmsProvider } from './sms/provider.js';
import type { CompliancePolicy } from '../workflows/lib/compliance.js';

export interface ActivityDeps {
  db: Db;
  sms: SmsProvider;
  /** Quiet hours and caps; DEFAULT_POLICY when omitted. */
  policy?: CompliancePolicy;
  defaultTimezone?: string;
  /** The sender's MPS: sends are spaced by segments ÷ MPS across all workers. Omitted = no spacing. */
  smsPerSecond?: number;
  /** AI texts; omitted or openai null → deterministic templates. */
  ai?: { openai: OpenAI | null; model: string; dailyBudgetMicroUsd?: number };
}

/** Every activity, built from its dependencies. Workflows import only the type of this. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createMessagingActivities(deps),
    ...createMemberActivities(deps),
    ...createAiActivities({
      db: deps.db,
      openai: deps.ai?.openai ?? null,
      model: deps.ai?.model ?? 'gpt-4o-mini',
      dailyBudgetMicroUsd: deps.ai?.dailyBudgetMicroUsd,
    }),
  };
}
