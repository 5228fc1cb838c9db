/**
 * The one place that turns configuration into Temporal connection options: the worker's NativeConnection, the
 * API's client Connection and the scripts all connect through `temporalConnectionOptions`.
 *
 * - Temporal Cloud with an API key: `TEMPORAL_API_KEY` (TLS is then on; the key is sent as a bearer token and the
 *   namespace as the `temporal-namespace` header, which regional endpoints need).
 * - Temporal Cloud or a self-hosted cluster with mTLS: `TEMPORAL_TLS_CERT` + `TEMPORAL_TLS_KEY` (each a file path
 *   or the PEM text itself), optionally `TEMPORAL_TLS_CA` (the server's root CA, path or PEM) and
 *   `TEMPORAL_TLS_SERVER_NAME` (SNI / host name check override).
 * - `TEMPORAL_TLS=true` turns TLS on without a client certificate (a server with a public certificate).
 *
 * Security settings apply to `TEMPORAL_ADDRESS` only; the local dev server (`npm start` without
 * TEMPORAL_ADDRESS) is always plain, and setting them without TEMPORAL_ADDRESS is a configuration error.
 */
import { readFileSync } from 'node:fs';

export const TEMPORAL_SECURITY_VARIABLES = [
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CERT',
  'TEMPORAL_TLS_KEY',
  'TEMPORAL_TLS_CA',
  'TEMPORAL_TLS_SERVER_NAME',
] as const;

export interface TemporalSecurity {
  apiKey?: string;
  /** undefined = plain TCP. */
  tls?: {
    serverName?: string;
    serverRootCA?: Buffer;
    clientCert?: { crt: Buffer; key: Buffer };
  };
}

export interface TemporalConnectionSettings {
  /** Unset: `npm start` runs the dev server (always plain). */
  address: string | undefined;
  namespace: string;
  security: TemporalSecurity;
}

/** What both `Connection.connect` (@temporalio/client) and `NativeConnection.connect` (@temporalio/worker) take. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
  apiKey?: string;
  metadata?: Record<string, string>;
}

export interface ConfigIssue {
  variable: string;
  message: string;
}

const isPem = (v: string) => v.trimStart().startsWith('-----BEGIN ');

/** A PEM given inline or as a file path; the error names the variable, never the value. */
function pem(variable: string, value: string, issues: ConfigIssue[]): Buffer | undefined {
  if (isPem(value)) return Buffer.from(`${value.replace(/\\n/g, '\n').trim()}\n`);
  try {
    const text = readFileSync(value);
    if (!isPem(text.toString('utf8')))
      issues.push({ variable, message: 'the file is not PEM (expected "-----BEGIN …")' });
    return text;
  } catch (err) {
    issues.push({
      variable,
      message: `neither PEM text nor a readable file (${(err as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    });
    return undefined;
  }
}

const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

/** Reads the TEMPORAL_* security variables; problems come back as issues naming the variable. */
export function parseTemporalSecurity(env: Record<string, string | undefined>): {
  security: TemporalSecurity;
  issues: ConfigIssue[];
} {
  const issues: ConfigIssue[] = [];
  const get = (name: (typeof TEMPORAL_SECURITY_VARIABLES)[number]) => blank(env[name]);
  const apiKey = get('TEMPORAL_API_KEY');
  const tlsFlag = get('TEMPORAL_TLS');
  const certValue = get('TEMPORAL_TLS_CERT');
  const keyValue = get('TEMPORAL_TLS_KEY');
  const caValue = get('TEMPORAL_TLS_CA');
  const serverName = get('TEMPORAL_TLS_SERVER_NAME');

  if (tlsFlag !== undefined && tlsFlag !== 'true' && tlsFlag !== 'false')
    issues.push({ variable: 'TEMPORAL_TLS', message: 'must be true or false' });
  if (certValue && !keyValue)
    issues.push({
      variable: 'TEMPORAL_TLS_KEY',
      message: 'required with TEMPORAL_TLS_CERT (mTLS needs both)',
    });
  if (keyValue && !certValue)
    issues.push({
      variable: 'TEMPORAL_TLS_CERT',
      message: 'required with TEMPORAL_TLS_KEY (mTLS needs both)',
    });
  if (apiKey && tlsFlag === 'false')
    issues.push({
      variable: 'TEMPORAL_TLS',
      message: 'cannot be false with TEMPORAL_API_KEY (API keys need TLS)',
    });
  if (apiKey && /\s/.test(apiKey))
    issues.push({ variable: 'TEMPORAL_API_KEY', message: 'must not contain white space' });

  const crt = certValue ? pem('TEMPORAL_TLS_CERT', certValue, issues) : undefined;
  const key = keyValue ? pem('TEMPORAL_TLS_KEY', keyValue, issues) : undefined;
  const ca = caValue ? pem('TEMPORAL_TLS_CA', caValue, issues) : undefined;

  const wantsTls =
    tlsFlag === 'true' ||
    (tlsFlag !== 'false' && Boolean(apiKey || certValue || keyValue || caValue || serverName));
  if (tlsFlag === 'false' && (certValue || keyValue || caValue || serverName))
    issues.push({
      variable: 'TEMPORAL_TLS',
      message: 'is false but TLS settings (TEMPORAL_TLS_CERT/KEY/CA/SERVER_NAME) are set',
    });

  const security: TemporalSecurity = {
    ...(apiKey && { apiKey }),
    ...(wantsTls && {
      tls: {
        ...(serverName && { serverName }),
        ...(ca && { serverRootCA: ca }),
        ...(crt && key && { clientCert: { crt, key } }),
      },
    }),
  };
  return { security, issues };
}

/** Issues for security settings given without TEMPORAL_ADDRESS (they would silently not apply). */
export function securityWithoutAddress(env: Record<string, string | undefined>): ConfigIssue[] {
  if (blank(env.TEMPORAL_ADDRESS)) return [];
  return TEMPORAL_SECURITY_VARIABLES.filter((v) => blank(env[v]) !== undefined).map((variable) => ({
    variable,
    message: 'applies only to TEMPORAL_ADDRESS, which is not set',
  }));
}

/**
 * Connection options for the configured cluster; `devServerAddress` (npm start's own dev server, when
 * TEMPORAL_ADDRESS is unset) gets a plain connection.
 */
export function temporalConnectionOptions(
  settings: TemporalConnectionSettings,
  devServerAddress?: string,
): TemporalConnectionOptions {
  if (!settings.address) {
    if (!devServerAddress) throw new Error('TEMPORAL_ADDRESS must be set for this command');
    return { address: devServerAddress };
  }
  const { apiKey, tls } = settings.security;
  return {
    address: settings.address,
    ...(tls && {
      tls: {
        ...(tls.serverName && { serverNameOverride: tls.serverName }),
        ...(tls.serverRootCA && { serverRootCACertificate: tls.serverRootCA }),
        ...(tls.clientCert && { clientCertPair: tls.clientCert }),
      },
    }),
    ...(apiKey && { apiKey, metadata: { 'temporal-namespace': settings.namespace } }),
  };
}

/** For the start-up banner and logs: how the connection is secured, without any secret. */
export function describeTemporalSecurity(security: TemporalSecurity): string {
  if (security.apiKey) return 'TLS + API key';
  if (security.tls?.clientCert) return 'mTLS';
  if (security.tls) return 'TLS';
  return 'plain';
}
