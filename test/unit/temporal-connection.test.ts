import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../worker/config.js';
import { describeTemporalSecurity, temporalConnectionOptions } from '../../worker/temporal-connection.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n';
const CLOUD = { TEMPORAL_ADDRESS: 'crewline.a1b2c.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'crewline.a1b2c' };

const options = (env: Record<string, string>) => {
  const config = loadConfig(env);
  return temporalConnectionOptions(config.temporal);
};
const configError = (env: Record<string, string>): string => {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('Temporal connection options (one builder for the worker, the API and the scripts)', () => {
  it('plain TCP to a self-hosted cluster when nothing else is set', () => {
    expect(options({ TEMPORAL_ADDRESS: 'temporal:7233' })).toEqual({ address: 'temporal:7233' });
  });

  it('npm start with no TEMPORAL_ADDRESS: the dev server, plain; without it a command needing Temporal fails', () => {
    const config = loadConfig({});
    expect(temporalConnectionOptions(config.temporal, '127.0.0.1:7233')).toEqual({
      address: '127.0.0.1:7233',
    });
    expect(() => temporalConnectionOptions(config.temporal)).toThrow(/TEMPORAL_ADDRESS/);
  });

  it('API key: TLS on, the key as bearer, the namespace header for regional endpoints', () => {
    const o = options({ ...CLOUD, TEMPORAL_API_KEY: 'eyJhbGciOi.key' });
    expect(o).toEqual({
      address: CLOUD.TEMPORAL_ADDRESS,
      tls: {},
      apiKey: 'eyJhbGciOi.key',
      metadata: { 'temporal-namespace': 'crewline.a1b2c' },
    });
    expect(describeTemporalSecurity(loadConfig({ ...CLOUD, TEMPORAL_API_KEY: 'k' }).temporal.security)).toBe(
      'TLS + API key',
    );
  });

  it('mTLS from PEM text (with \\n escapes, as in a one-line env file) and a server name', () => {
    const o = options({
      ...CLOUD,
      TEMPORAL_TLS_CERT: CERT.replace(/\n/g, '\\n'),
      TEMPORAL_TLS_KEY: KEY,
      TEMPORAL_TLS_SERVER_NAME: 'crewline.a1b2c.tmprl.cloud',
    });
    expect(o.apiKey).toBeUndefined();
    expect(o.tls?.serverNameOverride).toBe('crewline.a1b2c.tmprl.cloud');
    expect(o.tls?.clientCertPair?.crt.toString()).toBe(CERT);
    expect(o.tls?.clientCertPair?.key.toString()).toBe(KEY);
  });

  it('mTLS from file paths, with a server root CA', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'crewline-tls-'));
    for (const [f, text] of [
      ['client.pem', CERT],
      ['client.key', KEY],
      ['ca.pem', CERT],
    ] as const)
      writeFileSync(path.join(dir, f), text);
    const o = options({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CERT: path.join(dir, 'client.pem'),
      TEMPORAL_TLS_KEY: path.join(dir, 'client.key'),
      TEMPORAL_TLS_CA: path.join(dir, 'ca.pem'),
    });
    expect(o.tls?.clientCertPair?.key.toString()).toBe(KEY);
    expect(o.tls?.serverRootCACertificate?.toString()).toBe(CERT);
    expect(
      describeTemporalSecurity(
        loadConfig({ ...CLOUD, TEMPORAL_TLS_CERT: CERT, TEMPORAL_TLS_KEY: KEY }).temporal.security,
      ),
    ).toBe('mTLS');
  });

  it('TEMPORAL_TLS=true: TLS without a client certificate', () => {
    expect(options({ TEMPORAL_ADDRESS: 'temporal.example.com:443', TEMPORAL_TLS: 'true' })).toEqual({
      address: 'temporal.example.com:443',
      tls: {},
    });
  });

  it('a certificate without its key (and the reverse) is an error naming the missing variable', () => {
    expect(configError({ ...CLOUD, TEMPORAL_TLS_CERT: CERT })).toMatch(
      /TEMPORAL_TLS_KEY: required with TEMPORAL_TLS_CERT/,
    );
    expect(configError({ ...CLOUD, TEMPORAL_TLS_KEY: KEY })).toMatch(
      /TEMPORAL_TLS_CERT: required with TEMPORAL_TLS_KEY/,
    );
  });

  it('an unreadable path or a non-PEM file is an error naming the variable, never the key material', () => {
    const message = configError({
      ...CLOUD,
      TEMPORAL_TLS_CERT: CERT,
      TEMPORAL_TLS_KEY: '/nonexistent/client.key',
    });
    expect(message).toMatch(/TEMPORAL_TLS_KEY: neither PEM text nor a readable file \(ENOENT\)/);
    expect(message).not.toContain('MIIBcert');
    const dir = mkdtempSync(path.join(tmpdir(), 'crewline-tls-'));
    writeFileSync(path.join(dir, 'ca.txt'), 'not a certificate');
    expect(configError({ ...CLOUD, TEMPORAL_TLS_CA: path.join(dir, 'ca.txt') })).toMatch(
      /TEMPORAL_TLS_CA: the file is not PEM/,
    );
  });

  it('contradictions and settings that would silently not apply are refused', () => {
    expect(configError({ ...CLOUD, TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' })).toMatch(
      /TEMPORAL_TLS: cannot be false with TEMPORAL_API_KEY/,
    );
    expect(configError({ ...CLOUD, TEMPORAL_TLS: 'yes' })).toMatch(/TEMPORAL_TLS: must be true or false/);
    const noAddress = configError({ TEMPORAL_API_KEY: 'secret-key' });
    expect(noAddress).toMatch(/TEMPORAL_API_KEY: applies only to TEMPORAL_ADDRESS, which is not set/);
    expect(noAddress).not.toContain('secret-key');
  });
});
