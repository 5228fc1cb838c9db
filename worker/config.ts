/**
 * The one place that reads process.env. Everything else receives a validated `Config`.
 */
import { z } from 'zod';
import { OPT_OUT_MANAGERS, type OptOutManagedBy } from '../activities/sms/provider.js';
import { checkKeywordReplies } from '../workflows/lib/texts.js';
import { DEFAULT_TEXTS_PER_DAY, TEXTS_PER_DAY_RANGE } from '../workflows/messaging/daily-cap.js';
import { MEMBER_DEFAULTS } from '../workflows/member/values.js';
import {
  DEFAULT_PURGE_HOUR_UTC,
  RETENTION_CLASSES,
  type RetentionPolicy,
} from '../workflows/retention/values.js';
import {
  parseTemporalSecurity,
  securityWithoutAddress,
  type TemporalSecurity,
} from './temporal-connection.js';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const optionalUrl = z.preprocess(emptyToUndefined, z.url().optional());
/** Whole days, at least 1 (the purge runs daily) and at most 10 years. */
const retentionDays = (days: number) => z.coerce.number().int().min(1).max(3650).default(days);

/**
 * MAX_ACTIVE_GOALS / NUDGE_AFTER_MINUTES defaults: MEMBER_DEFAULTS (workflows/member/values.ts). The alias stays
 * only while api/routes/members.ts and test/unit/config.test.ts still import it.
 */
export const DEFAULT_MEMBER_SETTINGS = {
  maxActiveGoals: MEMBER_DEFAULTS.maxActiveGoals,
  nudgeAfterMinutes: MEMBER_DEFAULTS.nudgeAfterMinutes,
} as const;

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('127.0.0.1'),
    /** The API's probe server (api/probe-server.ts): a port, 0 = a free one, `off` = none. */
    PROBE_PORT: z.preprocess(
      emptyToUndefined,
      z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).optional(),
    ),
    /** `/livez` on the probe port is 503 once the API's main event loop has not run for this long. */
    PROBE_LIVENESS_STALL_MS: z.coerce.number().int().min(1_000).max(600_000).default(10_000),
    DATA_DIR: z.string().default('.data'),
    DATABASE_URL: optionalUrl,
    TEMPORAL_ADDRESS: optionalString,
    TEMPORAL_NAMESPACE: z.string().default('default'),
    TEMPORAL_UI_PORT: z.coerce.number().int().min(1).max(65535).default(8233),
    TEMPORAL_DEV_PORT: z.coerce.number().int().min(1).max(65535).default(7233),
    /** Origins (comma-separated) whose Temporal Web UI may call /codec/*; unset = the dev server UI's. */
    CODEC_CORS_ORIGINS: optionalString,
    /** A pre-built workflow bundle for the worker; unset = dist/workflow-bundle.js when present, else bundle at start. */
    WORKFLOW_BUNDLE_PATH: optionalString,
    /** Workflows a worker process keeps in memory (its sticky cache); unset = the SDK's default (from the heap size). */
    WORKER_MAX_CACHED_WORKFLOWS: z.preprocess(
      emptyToUndefined,
      z.coerce.number().int().min(0).max(100_000).optional(),
    ),
    API_KEYS: z.preprocess(
      (v) =>
        typeof v === 'string'
          ? v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : v,
      z.array(z.string().min(8, 'each API key needs at least 8 characters')).optional(),
    ),
    PUBLIC_BASE_URL: optionalUrl,
    TWILIO_ACCOUNT_SID: optionalString,
    TWILIO_AUTH_TOKEN: optionalString,
    TWILIO_FROM_NUMBER: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^\+[1-9]\d{6,14}$/)
        .optional(),
    ),
    /**
     * An optional second sender for guest campaigns: a number (E.164) or a Messaging Service SID (`MG…`). A
     * campaign text reported undelivered for carrier filtering (30007) or an unreachable handset (30003) is sent
     * once more from it. Unset: such guests are marked with the code, not retried.
     */
    TWILIO_SECONDARY_FROM: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^(\+[1-9]\d{6,14}|MG[0-9a-fA-F]{32})$/, 'an E.164 number or a Messaging Service SID (MG…)')
        .optional(),
    ),
    /**
     * Who answers STOP/START/HELP: `twilio` (the number's default or Advanced Opt-Out handling blocks, answers and
     * refuses later sends with 21610; Crewline records consent and sends no confirmation of its own) or
     * `crewline` (opt-out handling turned off at Twilio, and the sandbox). Default: twilio when Twilio is set.
     */
    SMS_OPT_OUT_MANAGED_BY: z.preprocess(emptyToUndefined, z.enum(OPT_OUT_MANAGERS).optional()),
    /** Only for tests and local fakes: where the twilio SDK sends its REST calls. */
    TWILIO_API_BASE_URL: optionalUrl,
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: optionalUrl,
    OPENAI_MODEL: z.string().default('gpt-4o-mini'),
    SMS_SENDER_TYPE: z.enum(['long_code', 'toll_free', 'short_code']).default('long_code'),
    /** Overrides the sender type's default messages (segments) per second. */
    SMS_MPS: z.preprocess(emptyToUndefined, z.coerce.number().positive().max(1000).optional()),
    BRAND_NAME: z.string().min(1).max(30).default('Crewline'),
    SUPPORT_CONTACT: z.string().min(3).max(60).default('help@crewline.app'),
    /** Texts that are not direct replies per phone per local day: the cap, and the number the opt-in text shows. */
    MAX_TEXTS_PER_DAY: z.coerce
      .number()
      .int()
      .min(TEXTS_PER_DAY_RANGE.min)
      .max(TEXTS_PER_DAY_RANGE.max)
      .default(DEFAULT_TEXTS_PER_DAY),
    DEFAULT_TIMEZONE: z.string().default('America/New_York'),
    /** Goals a member may have active at once (new members' workflows are started with it). */
    MAX_ACTIVE_GOALS: z.coerce.number().int().min(1).max(10).default(MEMBER_DEFAULTS.maxActiveGoals),
    /** Minutes after an unanswered check-in prompt before one reminder; 0 = no reminders. */
    NUDGE_AFTER_MINUTES: z.coerce
      .number()
      .int()
      .min(0)
      .max(24 * 60)
      .default(MEMBER_DEFAULTS.nudgeAfterMinutes),
    /** Requests per minute per API key / per client address, counted in Postgres; 0 = no limit. */
    RATE_LIMIT_PER_KEY_PER_MINUTE: z.coerce.number().int().min(0).default(600),
    RATE_LIMIT_PER_IP_PER_MINUTE: z.coerce.number().int().min(0).default(1200),
    /**
     * Signs member/mentor access tokens (HS256; at least 32 characters, e.g. `openssl rand -base64 48`). Every API
     * process must have the same one. Unset in production = member sign-in is off (503); unset otherwise = a
     * random secret generated once and kept in DATA_DIR/auth-token-secret, so restarts keep sessions.
     */
    AUTH_TOKEN_SECRET: z.preprocess(
      emptyToUndefined,
      z.string().min(32, 'at least 32 characters (e.g. openssl rand -base64 48)').optional(),
    ),
    /** Lifetime of a member/mentor access token (minutes) and of a sign-in session's refresh tokens (days). */
    AUTH_ACCESS_TOKEN_MINUTES: z.coerce.number().int().min(1).max(60).default(15),
    AUTH_SESSION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    /** One-time sign-in code requests per phone (per 15 minutes, per day) and per client address (per hour). */
    OTP_PER_PHONE_PER_15_MIN: z.coerce.number().int().min(1).max(100).default(3),
    OTP_PER_PHONE_PER_DAY: z.coerce.number().int().min(1).max(1000).default(10),
    OTP_PER_IP_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(20),
    /** Inbound texts per phone per minute that are acted on; beyond it they are stored only. 0 = no limit. */
    INBOUND_PER_PHONE_PER_MINUTE: z.coerce.number().int().min(0).default(10),
    /** Secret of the audit log's keyed phone hashes; unset = AUTH_TOKEN_SECRET's (api/audit.ts). */
    PRIVACY_HASH_KEY: z.preprocess(emptyToUndefined, z.string().min(32, 'at least 32 characters').optional()),
    /** Clarifications and hints per phone per hour; beyond them an unreadable text is answered by silence. */
    AUTO_REPLIES_PER_PHONE_PER_HOUR: z.coerce.number().int().min(1).max(100).default(3),
    /** Answers to HELP per phone per hour (carriers require HELP answered: at least 1). */
    HELP_REPLIES_PER_PHONE_PER_HOUR: z.coerce.number().int().min(1).max(100).default(1),
    /** The API runs behind a proxy that appends the client address to X-Forwarded-For. */
    TRUST_PROXY: z.preprocess(emptyToUndefined, z.enum(['true', 'false']).default('false')),
    /** host:port where the worker's Temporal SDK serves its Prometheus metrics; unset = not served. */
    WORKER_METRICS_ADDRESS: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^[^:\s]+:\d{1,5}$/, 'host:port, e.g. 0.0.0.0:9464')
        .optional(),
    ),
    /** host:port where the worker serves its own Prometheus metrics (SMS, pacing, AI); unset = not served. */
    WORKER_APP_METRICS_ADDRESS: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^[^:\s]+:\d{1,5}$/, 'host:port, e.g. 0.0.0.0:9465')
        .optional(),
    ),
    /** OpenTelemetry: traces are exported over OTLP http/protobuf to `<endpoint>/v1/traces` only when set. */
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
    OTEL_SERVICE_NAME: optionalString,
    QUIET_HOURS_MARKETING: z
      .string()
      .regex(/^\d\d:\d\d-\d\d:\d\d$/, 'HH:MM-HH:MM')
      .default('08:00-21:00'),
    /** Retention in days per data class (workflows/retention/values.ts); the daily purge runs at the hour (UTC). */
    RETENTION_MESSAGE_BODY_DAYS: retentionDays(RETENTION_CLASSES.message_bodies.days),
    RETENTION_INBOUND_TEXT_DAYS: retentionDays(RETENTION_CLASSES.inbound_texts.days),
    RETENTION_SIGN_IN_CODE_DAYS: retentionDays(RETENTION_CLASSES.sign_in_codes.days),
    RETENTION_REFLECTION_DAYS: retentionDays(RETENTION_CLASSES.reflections.days),
    RETENTION_AI_USAGE_DAYS: retentionDays(RETENTION_CLASSES.ai_usage.days),
    RETENTION_AUDIT_DAYS: retentionDays(RETENTION_CLASSES.audit.days),
    RETENTION_PURGE_HOUR_UTC: z.coerce.number().int().min(0).max(23).default(DEFAULT_PURGE_HOUR_UTC),
    /** Empty = no quiet hours for transactional texts (check-ins at the member's own chosen time). */
    QUIET_HOURS_TRANSACTIONAL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^\d\d:\d\d-\d\d:\d\d$/, 'HH:MM-HH:MM')
        .optional(),
    ),
  })
  .superRefine((c, ctx) => {
    const twilio = [c.TWILIO_ACCOUNT_SID, c.TWILIO_AUTH_TOKEN, c.TWILIO_FROM_NUMBER];
    if (twilio.some(Boolean) && !twilio.every(Boolean)) {
      ctx.addIssue({
        code: 'custom',
        path: ['TWILIO_ACCOUNT_SID'],
        message:
          'set all of TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER, or none (sandbox SMS)',
      });
    }
    if (c.TWILIO_SECONDARY_FROM && !twilio.every(Boolean)) {
      ctx.addIssue({
        code: 'custom',
        path: ['TWILIO_SECONDARY_FROM'],
        message: 'a second sender needs Twilio (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER)',
      });
    } else if (c.TWILIO_SECONDARY_FROM && c.TWILIO_SECONDARY_FROM === c.TWILIO_FROM_NUMBER) {
      ctx.addIssue({
        code: 'custom',
        path: ['TWILIO_SECONDARY_FROM'],
        message: 'the second sender must differ from TWILIO_FROM_NUMBER',
      });
    }
    if (twilio.every(Boolean)) {
      // Twilio signs webhooks over this URL and posts status callbacks to it: a default of localhost would make
      // every webhook fail its signature check and every callback go nowhere.
      if (!c.PUBLIC_BASE_URL) {
        ctx.addIssue({
          code: 'custom',
          path: ['PUBLIC_BASE_URL'],
          message:
            'required with Twilio: the https URL Twilio reaches this API at (e.g. https://sms.example.com)',
        });
      } else if (!c.PUBLIC_BASE_URL.startsWith('https://')) {
        ctx.addIssue({
          code: 'custom',
          path: ['PUBLIC_BASE_URL'],
          message: 'must be an https URL with Twilio (Twilio calls webhooks over https)',
        });
      }
    } else if (c.SMS_OPT_OUT_MANAGED_BY === 'twilio') {
      ctx.addIssue({
        code: 'custom',
        path: ['SMS_OPT_OUT_MANAGED_BY'],
        message: 'twilio needs Twilio configured (TWILIO_*); the sandbox is crewline-managed',
      });
    }
    if (c.NODE_ENV === 'production' && !c.API_KEYS?.length) {
      ctx.addIssue({ code: 'custom', path: ['API_KEYS'], message: 'required in production' });
    }
  });

export type RawConfig = z.infer<typeof schema>;
export type { OptOutManagedBy };

export interface Config {
  env: RawConfig['NODE_ENV'];
  logLevel: RawConfig['LOG_LEVEL'];
  port: number;
  host: string;
  /**
   * The API's probe server on its own thread (api/probe-server.ts); port undefined = off. `defaultPort`: PROBE_PORT
   * was not set (a second API process on the same host then runs without one instead of stopping).
   */
  probes: { port: number | undefined; defaultPort: boolean; livenessStallMs: number };
  dataDir: string;
  databaseUrl: string | undefined;
  temporal: {
    address: string | undefined;
    namespace: string;
    uiPort: number;
    devPort: number;
    /** API key / TLS / mTLS for TEMPORAL_ADDRESS (worker/temporal-connection.ts). */
    security: TemporalSecurity;
  };
  apiKeys: string[];
  /** CODEC_CORS_ORIGINS: the Web UI origins allowed to call the codec endpoint (api/routes/codec.ts). */
  codecCorsOrigins: string[];
  /** Requests per minute per key and per client address (a 0 in the environment turns that one off). */
  rateLimits: { perKeyPerMinute: number; perIpPerMinute: number } | undefined;
  trustProxy: boolean;
  /** Member/mentor sign-in (api/tokens.ts, api/routes/auth.ts). */
  auth: {
    /** Undefined: outside production the composition root uses a generated secret kept in DATA_DIR. */
    tokenSecret: string | undefined;
    accessTokenMinutes: number;
    sessionDays: number;
    otpPerPhonePer15Min: number;
    otpPerPhonePerDay: number;
    otpPerIpPerHour: number;
  };
  /** Inbound texts per phone per minute acted on (Infinity = no limit). */
  inboundPerPhonePerMinute: number;
  /** The audit log's keyed phone hashes (api/audit.ts). */
  privacy: { hashKey: string | undefined };
  /** Automatic replies (clarifications, hints; HELP answers) per phone per hour (workflows/lib/auto-replies.ts). */
  autoReplies: { perPhonePerHour: number; helpPerPhonePerHour: number };
  /** The API's /metrics includes Node process metrics. */
  processMetrics: boolean;
  /** host:port of the worker's Temporal SDK Prometheus endpoint, if served. */
  workerMetricsAddress: string | undefined;
  /** host:port of the worker's own Prometheus endpoint (domain metrics), if served. */
  workerAppMetricsAddress: string | undefined;
  /** OpenTelemetry traces over OTLP (worker/tracing.ts); undefined = off (OTEL_EXPORTER_OTLP_ENDPOINT unset). */
  tracing: { endpoint: string; serviceName: string | undefined } | undefined;
  /** WORKFLOW_BUNDLE_PATH: the worker loads this pre-built bundle (worker/worker.ts workflowCodeOptions). */
  workflowBundlePath: string | undefined;
  /** WORKER_MAX_CACHED_WORKFLOWS: the worker's workflow cache size (memory per process follows it). */
  workerMaxCachedWorkflows: number | undefined;
  /** The URL Twilio uses to reach us; webhook signatures are validated against it. */
  publicBaseUrl: string;
  twilio:
    | {
        accountSid: string;
        authToken: string;
        from: string;
        apiBaseUrl: string | undefined;
        /** TWILIO_SECONDARY_FROM: guest campaigns' second sender (number or Messaging Service SID). */
        secondaryFrom?: string | undefined;
      }
    | undefined;
  /** Who answers STOP/START/HELP (SMS_OPT_OUT_MANAGED_BY). */
  optOutManagedBy: OptOutManagedBy;
  openai: { apiKey: string | undefined; baseUrl: string | undefined; model: string };
  /** textsPerDay: MAX_TEXTS_PER_DAY, rendered into the opt-in text and enforced by the send gate. */
  brand: { name: string; support: string; textsPerDay: number };
  /** Sender pacing in segments per second (long code 1, toll-free 3, short code 100 unless SMS_MPS is set). */
  smsPerSecond: number;
  defaultTimezone: string;
  /** Defaults for new members' workflows. */
  members: { maxActiveGoals: number; nudgeAfterMinutes: number };
  quietHours: {
    marketing: { start: string; end: string };
    transactional: { start: string; end: string } | null;
  };
  /** What the daily retention purge removes, and when (RETENTION_*). */
  retention: { policy: RetentionPolicy; purgeHourUtc: number };
}

const window = (s: string) => {
  const [start, end] = s.split('-') as [string, string];
  return { start, end };
};

/** Carrier defaults per sender type (shared/REFERENCE.md). */
export const DEFAULT_MPS = { long_code: 1, toll_free: 3, short_code: 100 } as const;

/** PROBE_PORT unset: the API's probes (`/livez`, `/readyz` on their own thread) listen here. */
export const DEFAULT_PROBE_PORT = 8081;

export const DEV_API_KEY = 'dev-local-key-change-me';

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const c = parsed.data;
  const temporalSecurity = parseTemporalSecurity(env);
  const temporalIssues = [...temporalSecurity.issues, ...securityWithoutAddress(env)];
  if (temporalIssues.length)
    throw new ConfigError(
      `Invalid configuration:\n${temporalIssues.map((i) => `  - ${i.variable}: ${i.message}`).join('\n')}`,
    );
  try {
    checkKeywordReplies({ name: c.BRAND_NAME, support: c.SUPPORT_CONTACT, textsPerDay: c.MAX_TEXTS_PER_DAY });
  } catch (err) {
    throw new ConfigError(
      `Invalid configuration:\n  - BRAND_NAME/SUPPORT_CONTACT: ${(err as Error).message}`,
    );
  }
  return {
    env: c.NODE_ENV,
    logLevel: c.LOG_LEVEL,
    port: c.PORT,
    host: c.HOST,
    probes: {
      port: c.PROBE_PORT === 'off' ? undefined : (c.PROBE_PORT ?? DEFAULT_PROBE_PORT),
      defaultPort: c.PROBE_PORT === undefined,
      livenessStallMs: c.PROBE_LIVENESS_STALL_MS,
    },
    dataDir: c.DATA_DIR,
    databaseUrl: c.DATABASE_URL,
    temporal: {
      address: c.TEMPORAL_ADDRESS,
      namespace: c.TEMPORAL_NAMESPACE,
      uiPort: c.TEMPORAL_UI_PORT,
      devPort: c.TEMPORAL_DEV_PORT,
      security: temporalSecurity.security,
    },
    apiKeys: c.API_KEYS?.length ? c.API_KEYS : [DEV_API_KEY],
    codecCorsOrigins: c.CODEC_CORS_ORIGINS
      ? c.CODEC_CORS_ORIGINS.split(',')
          .map((o) => o.trim())
          .filter(Boolean)
      : [`http://127.0.0.1:${c.TEMPORAL_UI_PORT}`, `http://localhost:${c.TEMPORAL_UI_PORT}`],
    rateLimits:
      c.RATE_LIMIT_PER_KEY_PER_MINUTE || c.RATE_LIMIT_PER_IP_PER_MINUTE
        ? {
            perKeyPerMinute: c.RATE_LIMIT_PER_KEY_PER_MINUTE || Infinity,
            perIpPerMinute: c.RATE_LIMIT_PER_IP_PER_MINUTE || Infinity,
          }
        : undefined,
    trustProxy: c.TRUST_PROXY === 'true',
    auth: {
      tokenSecret: c.AUTH_TOKEN_SECRET,
      accessTokenMinutes: c.AUTH_ACCESS_TOKEN_MINUTES,
      sessionDays: c.AUTH_SESSION_DAYS,
      otpPerPhonePer15Min: c.OTP_PER_PHONE_PER_15_MIN,
      otpPerPhonePerDay: c.OTP_PER_PHONE_PER_DAY,
      otpPerIpPerHour: c.OTP_PER_IP_PER_HOUR,
    },
    inboundPerPhonePerMinute: c.INBOUND_PER_PHONE_PER_MINUTE || Infinity,
    privacy: { hashKey: c.PRIVACY_HASH_KEY },
    autoReplies: {
      perPhonePerHour: c.AUTO_REPLIES_PER_PHONE_PER_HOUR,
      helpPerPhonePerHour: c.HELP_REPLIES_PER_PHONE_PER_HOUR,
    },
    processMetrics: true,
    workerMetricsAddress: c.WORKER_METRICS_ADDRESS,
    workerAppMetricsAddress: c.WORKER_APP_METRICS_ADDRESS,
    tracing: c.OTEL_EXPORTER_OTLP_ENDPOINT
      ? { endpoint: c.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: c.OTEL_SERVICE_NAME }
      : undefined,
    workflowBundlePath: c.WORKFLOW_BUNDLE_PATH,
    workerMaxCachedWorkflows: c.WORKER_MAX_CACHED_WORKFLOWS,
    publicBaseUrl: (c.PUBLIC_BASE_URL ?? `http://localhost:${c.PORT}`).replace(/\/$/, ''),
    twilio:
      c.TWILIO_ACCOUNT_SID && c.TWILIO_AUTH_TOKEN && c.TWILIO_FROM_NUMBER
        ? {
            accountSid: c.TWILIO_ACCOUNT_SID,
            authToken: c.TWILIO_AUTH_TOKEN,
            from: c.TWILIO_FROM_NUMBER,
            apiBaseUrl: c.TWILIO_API_BASE_URL,
            secondaryFrom: c.TWILIO_SECONDARY_FROM,
          }
        : undefined,
    optOutManagedBy:
      c.SMS_OPT_OUT_MANAGED_BY ?? (c.TWILIO_ACCOUNT_SID && c.TWILIO_AUTH_TOKEN ? 'twilio' : 'crewline'),
    openai: { apiKey: c.OPENAI_API_KEY, baseUrl: c.OPENAI_BASE_URL, model: c.OPENAI_MODEL },
    brand: { name: c.BRAND_NAME, support: c.SUPPORT_CONTACT, textsPerDay: c.MAX_TEXTS_PER_DAY },
    smsPerSecond: c.SMS_MPS ?? DEFAULT_MPS[c.SMS_SENDER_TYPE],
    defaultTimezone: c.DEFAULT_TIMEZONE,
    members: { maxActiveGoals: c.MAX_ACTIVE_GOALS, nudgeAfterMinutes: c.NUDGE_AFTER_MINUTES },
    quietHours: {
      marketing: window(c.QUIET_HOURS_MARKETING),
      transactional: c.QUIET_HOURS_TRANSACTIONAL ? window(c.QUIET_HOURS_TRANSACTIONAL) : null,
    },
    retention: {
      policy: {
        message_bodies: c.RETENTION_MESSAGE_BODY_DAYS,
        inbound_texts: c.RETENTION_INBOUND_TEXT_DAYS,
        sign_in_codes: c.RETENTION_SIGN_IN_CODE_DAYS,
        reflections: c.RETENTION_REFLECTION_DAYS,
        ai_usage: c.RETENTION_AI_USAGE_DAYS,
        audit: c.RETENTION_AUDIT_DAYS,
      },
      purgeHourUtc: c.RETENTION_PURGE_HOUR_UTC,
    },
  };
}
