/** TWILIO_SECONDARY_FROM: guest campaigns' second sender (a number or a Messaging Service SID). */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../worker/config.js';
import { createSecondarySmsProvider } from '../../worker/sms.js';

const TWILIO = {
  TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
  TWILIO_AUTH_TOKEN: 'token-token-token',
  TWILIO_FROM_NUMBER: '+15005550006',
  PUBLIC_BASE_URL: 'https://sms.example.com',
};
const SERVICE = 'MG' + '0123456789abcdef'.repeat(2);

describe('TWILIO_SECONDARY_FROM', () => {
  it('is optional: unset, there is no second sender', () => {
    const config = loadConfig(TWILIO);
    expect(config.twilio?.secondaryFrom).toBeUndefined();
    expect(createSecondarySmsProvider(config)).toBeUndefined();
  });

  it('takes a number or a Messaging Service SID, as a Twilio provider of its own', () => {
    for (const value of ['+15005550009', SERVICE]) {
      const config = loadConfig({ ...TWILIO, TWILIO_SECONDARY_FROM: value });
      expect(config.twilio?.secondaryFrom).toBe(value);
      const provider = createSecondarySmsProvider(config);
      expect(provider).toMatchObject({ name: 'twilio', sender: value });
    }
  });

  it.each([
    ['not a number', { ...TWILIO, TWILIO_SECONDARY_FROM: '5005550009' }],
    ['the same as the first sender', { ...TWILIO, TWILIO_SECONDARY_FROM: '+15005550006' }],
    ['without Twilio', { TWILIO_SECONDARY_FROM: '+15005550009' }],
  ])('is refused naming it: %s', (_, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow('TWILIO_SECONDARY_FROM');
  });
});
