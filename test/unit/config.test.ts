import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTokenSecret } from '../../api/tokens.js';
import { ConfigError, loadConfig } from '../../worker/config.js';
import { MEMBER_DEFAULTS } from '../../workflows/member/values.js';

describe('member settings in the configuration', () => {
  it('defaults to 3 active goals and a nudge after 120 minutes', () => {
    expect(loadConfig({}).members).toEqual({ maxActiveGoals: 3, nudgeAfterMinutes: 120 });
    expect(loadConfig({}).members).toEqual({
      maxActiveGoals: MEMBER_DEFAULTS.maxActiveGoals,
      nudgeAfterMinutes: MEMBER_DEFAULTS.nudgeAfterMinutes,
    });
  });

  it('reads MAX_ACTIVE_GOALS and NUDGE_AFTER_MINUTES (0 = no nudges)', () => {
    expect(loadConfig({ MAX_ACTIVE_GOALS: '5', NUDGE_AFTER_MINUTES: '0' }).members).toEqual({
      maxActiveGoals: 5,
      nudgeAfterMinutes: 0,
    });
  });

  it.each([
    ['MAX_ACTIVE_GOALS', '0'],
    ['MAX_ACTIVE_GOALS', 'three'],
    ['NUDGE_AFTER_MINUTES', '-5'],
    ['NUDGE_AFTER_MINUTES', '1.5'],
  ])('rejects %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

const TWILIO = {
  TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32),
  TWILIO_AUTH_TOKEN: 'token-token-token',
  TWILIO_FROM_NUMBER: '+15005550006',
};

describe('Twilio needs a public https URL', () => {
  it('fails fast without PUBLIC_BASE_URL, naming it', () => {
    expect(() => loadConfig(TWILIO)).toThrow(ConfigError);
    expect(() => loadConfig(TWILIO)).toThrow(/PUBLIC_BASE_URL: required with Twilio/);
  });

  it('fails fast on an http URL', () => {
    expect(() => loadConfig({ ...TWILIO, PUBLIC_BASE_URL: 'http://sms.example.com' })).toThrow(
      /PUBLIC_BASE_URL: must be an https URL/,
    );
  });

  it('accepts an https URL; the sandbox needs none', () => {
    expect(loadConfig({ ...TWILIO, PUBLIC_BASE_URL: 'https://sms.example.com/' }).publicBaseUrl).toBe(
      'https://sms.example.com',
    );
    expect(loadConfig({}).publicBaseUrl).toBe('http://localhost:3000');
  });
});

describe('SMS_OPT_OUT_MANAGED_BY', () => {
  const withTwilio = { ...TWILIO, PUBLIC_BASE_URL: 'https://sms.example.com' };
  it('defaults to twilio with Twilio configured, crewline in the sandbox', () => {
    expect(loadConfig(withTwilio).optOutManagedBy).toBe('twilio');
    expect(loadConfig({}).optOutManagedBy).toBe('crewline');
  });

  it('can hand keywords to Crewline on a Twilio number with opt-out handling turned off', () => {
    expect(loadConfig({ ...withTwilio, SMS_OPT_OUT_MANAGED_BY: 'crewline' }).optOutManagedBy).toBe(
      'crewline',
    );
  });

  it('refuses twilio without Twilio, and unknown values', () => {
    expect(() => loadConfig({ SMS_OPT_OUT_MANAGED_BY: 'twilio' })).toThrow(/SMS_OPT_OUT_MANAGED_BY/);
    expect(() => loadConfig({ ...withTwilio, SMS_OPT_OUT_MANAGED_BY: 'carrier' })).toThrow(
      /SMS_OPT_OUT_MANAGED_BY/,
    );
  });
});

describe('rate limits and proxies (issue 13)', () => {
  it('limits per key and per address by default; 0 turns one off; both 0 turns them off', () => {
    expect(loadConfig({}).rateLimits).toEqual({ perKeyPerMinute: 600, perIpPerMinute: 1200 });
    expect(loadConfig({ RATE_LIMIT_PER_IP_PER_MINUTE: '0' }).rateLimits).toEqual({
      perKeyPerMinute: 600,
      perIpPerMinute: Infinity,
    });
    expect(
      loadConfig({ RATE_LIMIT_PER_KEY_PER_MINUTE: '0', RATE_LIMIT_PER_IP_PER_MINUTE: '0' }).rateLimits,
    ).toBeUndefined();
    expect(() => loadConfig({ RATE_LIMIT_PER_KEY_PER_MINUTE: '-1' })).toThrow(
      /RATE_LIMIT_PER_KEY_PER_MINUTE/,
    );
  });

  it('trusts X-Forwarded-For only when told to', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(() => loadConfig({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY/);
  });
});

describe('member sign-in and abuse limits (issue 13)', () => {
  it('defaults: 15-minute tokens, 30-day sessions, 3 codes per 15 min and 10 a day per phone, 20 an hour per address, 10 inbound texts a minute', () => {
    const c = loadConfig({});
    expect(c.auth).toEqual({
      tokenSecret: undefined,
      accessTokenMinutes: 15,
      sessionDays: 30,
      otpPerPhonePer15Min: 3,
      otpPerPhonePerDay: 10,
      otpPerIpPerHour: 20,
    });
    expect(c.inboundPerPhonePerMinute).toBe(10);
    expect(loadConfig({ INBOUND_PER_PHONE_PER_MINUTE: '0' }).inboundPerPhonePerMinute).toBe(Infinity);
  });

  it('a token secret must be at least 32 characters', () => {
    expect(() => loadConfig({ AUTH_TOKEN_SECRET: 'short' })).toThrow(/AUTH_TOKEN_SECRET/);
    expect(loadConfig({ AUTH_TOKEN_SECRET: 'x'.repeat(32) }).auth.tokenSecret).toBe('x'.repeat(32));
  });

  it('without AUTH_TOKEN_SECRET: one generated secret kept in DATA_DIR (0600) outside production, none in production', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'crewline-secret-'));
    const dev = loadConfig({ DATA_DIR: dataDir });
    const first = await withTokenSecret(dev);
    const second = await withTokenSecret(dev);
    expect(first.auth.tokenSecret).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(second.auth.tokenSecret).toBe(first.auth.tokenSecret); // a restart keeps sessions
    expect((await stat(path.join(dataDir, 'auth-token-secret'))).mode & 0o777).toBe(0o600);
    const prod = await withTokenSecret({ ...dev, env: 'production' as const });
    expect(prod.auth.tokenSecret).toBeUndefined();
    const given = await withTokenSecret(loadConfig({ DATA_DIR: dataDir, AUTH_TOKEN_SECRET: 'y'.repeat(40) }));
    expect(given.auth.tokenSecret).toBe('y'.repeat(40));
  });
});
