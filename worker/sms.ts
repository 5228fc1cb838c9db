import { createSandboxProvider } from '../activities/sms/sandbox.js';
import type { SmsProvider } from '../activities/sms/provider.js';
import { createTwilioProvider } from '../activities/sms/twilio.js';
import { DEFAULT_POLICY, type CompliancePolicy } from '../workflows/lib/compliance.js';
import type { Config } from './config.js';

/** Twilio when credentials are configured, otherwise the Postgres-backed sandbox. */
export function createSmsProvider(config: Pick<Config, 'twilio' | 'publicBaseUrl'>): SmsProvider {
  if (!config.twilio) return createSandboxProvider();
  return createTwilioProvider({ ...config.twilio, publicBaseUrl: config.publicBaseUrl });
}

/** Guest campaigns' second sender (TWILIO_SECONDARY_FROM) as a provider of its own; undefined when not configured. */
export function createSecondarySmsProvider(
  config: Pick<Config, 'twilio' | 'publicBaseUrl'>,
): SmsProvider | undefined {
  if (!config.twilio?.secondaryFrom) return undefined;
  return createTwilioProvider({
    ...config.twilio,
    from: config.twilio.secondaryFrom,
    publicBaseUrl: config.publicBaseUrl,
  });
}

/** The compliance policy with the configured quiet hours (regional rules such as Florida's stay in force). */
export function compliancePolicy(config: Pick<Config, 'quietHours'>): CompliancePolicy {
  return {
    ...DEFAULT_POLICY,
    purposes: {
      transactional: { ...DEFAULT_POLICY.purposes.transactional, window: config.quietHours.transactional },
      marketing: { ...DEFAULT_POLICY.purposes.marketing, window: config.quietHours.marketing },
    },
  };
}
