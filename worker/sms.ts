import { createSandboxProvider } from '../activities/sms/sandbox.js';
import type { SmsProvider } from '../activities/sms/provider.js';
import { createTwilioProvider } from '../activities/sms/twilio.js';
import type { Config } from './config.js';

/** Twilio when credentials are configured, otherwise the Postgres-backed sandbox. */
export function createSmsProvider(config: Pick<Config, 'twilio' | 'publicBaseUrl'>): SmsProvider {
  if (!config.twilio) return createSandboxProvider();
  return createTwilioProvider({ ...config.twilio, publicBaseUrl: config.publicBaseUrl });
}
