/**
 * What the HTTP app needs from its composition root (scripts/start.ts, scripts/api.ts, tests). Structural types
 * only: the API imports nothing from worker/; the config loader there produces a value of this shape.
 */
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import type { ApiMetrics } from './metrics.js';
import type { Brand } from '../workflows/lib/texts.js';

export interface AppConfig {
  /**
   * Bearer keys from API_KEYS, accepted (as role admin) by every route but the public ones; keys with other roles
   * live hashed in Postgres (db/api-keys.ts, api/auth.ts).
   */
  apiKeys: string[];
  /**
   * Requests per window (a minute unless `windowSeconds` says otherwise) per key and per client address, counted
   * in Postgres; undefined = no limits, Infinity = no limit of that kind.
   */
  rateLimits?: { perKeyPerMinute: number; perIpPerMinute: number; windowSeconds?: number };
  /** Take the client address from X-Forwarded-For (last entry: the one our proxy added) instead of the socket. */
  trustProxy?: boolean;
  /**
   * Member/mentor sign-in: the HS256 secret for access tokens (undefined = sign-in is off: /auth answers 503
   * and bearer tokens are refused; the scripts pass AUTH_TOKEN_SECRET or, outside production, a generated one
   * kept in DATA_DIR), token lifetimes and the one-time-code limits. Defaults in api/tokens.ts.
   */
  auth?: {
    tokenSecret?: string | undefined;
    accessTokenMinutes?: number;
    sessionDays?: number;
    otpPerPhonePer15Min?: number;
    otpPerPhonePerDay?: number;
    otpPerIpPerHour?: number;
  };
  /**
   * Inbound texts per phone per minute that are acted on; beyond it they are stored, not routed. Unset = no
   * limit (loadConfig sets INBOUND_PER_PHONE_PER_MINUTE, default 10).
   */
  inboundPerPhonePerMinute?: number;
  /** OpenTelemetry is on (a tracer provider is registered): every request gets a server span (api/tracing.ts). */
  tracing?: { endpoint: string } | undefined;
  /** Node process metrics (event loop, memory, GC) on /metrics besides the request metrics. */
  processMetrics?: boolean;
  /**
   * Privacy: the server secret of the audit log's keyed phone hashes (PRIVACY_HASH_KEY); when unset, the token
   * secret (auth.tokenSecret) is used, and without either a fixed development key (api/audit.ts).
   */
  privacy?: { hashKey?: string | undefined };
  /** The URL Twilio reaches us at: webhook signatures are checked against it. */
  publicBaseUrl: string;
  /** Twilio credentials; undefined = sandbox (webhooks accepted unsigned). */
  twilio:
    | {
        accountSid: string;
        authToken: string;
        from: string;
        apiBaseUrl: string | undefined;
        /** Guest campaigns' second sender (TWILIO_SECONDARY_FROM): undelivered 30003/30007 are retried from it once. */
        secondaryFrom?: string | undefined;
      }
    | undefined;
  brand: Brand;
  /** Who answers STOP/START/HELP (SMS_OPT_OUT_MANAGED_BY); unset: Twilio when configured, else Crewline. */
  optOutManagedBy?: 'twilio' | 'crewline';
  /** The sender's MPS (SMS_MPS or the sender type's): the ceiling of a campaign's rate; absent = 1,000. */
  smsPerSecond?: number;
  /** New members' workflow settings; MEMBER_DEFAULTS (workflows/member/values.ts) when absent. */
  members?: { maxActiveGoals: number; nudgeAfterMinutes: number };
  /** Origins whose browsers may call /codec/* (the Temporal Web UI): CODEC_CORS_ORIGINS. */
  codecCorsOrigins?: string[];
  /**
   * Development only (api/routes/codec.ts `codecDevAccess`): the local dev server's Web UI, which cannot send an
   * API key, may call /codec/* without one from a loopback address and a loopback origin of CODEC_CORS_ORIGINS.
   * Set by `npm start` (scripts/start.ts) when it runs its own dev server outside production; never read from
   * the environment, so no deployed configuration can turn it on.
   */
  codecDevLoopback?: boolean;
}

export interface AppDeps {
  db: Db;
  temporal: Client;
  config: AppConfig;
  logger: Logger;
  /**
   * The API's metrics (api/metrics.ts); createApp makes them when absent. Given by the composition root so the
   * inbox drainer records into the same registry that GET /metrics serves.
   */
  metrics?: ApiMetrics;
  /** The payload codec (db/payload-codec.ts) behind /codec/*; absent = those routes answer 503. */
  payloadCodec?: PayloadCodec;
}
