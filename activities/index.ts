import type { Db } from '../db/client.js';
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
}

/** Every activity, built from its dependencies. Workflows import only the type of this. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createMessagingActivities(deps),
    ...createMemberActivities(deps),
  };
}
