/**
 * What the HTTP app needs from its composition root (scripts/start.ts, scripts/api.ts, tests). Structural types
 * only: the API imports nothing from worker/; the config loader there produces a value of this shape.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';

export interface AppConfig {
  /** Bearer keys accepted by every route but /health, /openapi.json, /docs and /webhooks/*. */
  apiKeys: string[];
  /** The URL Twilio reaches us at: webhook signatures are checked against it. */
  publicBaseUrl: string;
  /** Twilio credentials; undefined = sandbox (webhooks accepted unsigned). */
  twilio: { accountSid: string; authToken: string; from: string; apiBaseUrl: string | undefined } | undefined;
  brand: { name: string; support: string };
  /** Who answers STOP/START/HELP (SMS_OPT_OUT_MANAGED_BY); unset: Twilio when configured, else Crewline. */
  optOutManagedBy?: 'twilio' | 'crewline';
  /** New members' workflow settings; MEMBER_DEFAULTS (workflows/member/values.ts) when absent. */
  members?: { maxActiveGoals: number; nudgeAfterMinutes: number };
}

export interface AppDeps {
  db: Db;
  temporal: Client;
  config: AppConfig;
  logger: Logger;
}
