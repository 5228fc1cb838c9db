import { afterAll, beforeAll } from 'vitest';
import { createActivities, type ActivityDeps } from '../../activities/index.js';
import { createSandboxProvider } from '../../activities/sms/sandbox.js';
import type { SmsProvider } from '../../activities/sms/provider.js';
import { createWorkers } from '../../worker/worker.js';
import { createPayloadCodec } from '../../db/payload-codec.js';
import { generateMasterKeys } from '../../db/subject-keys.js';
import { testApp } from './app.js';
import { createTestDatabase } from './db.js';

type Database = Awaited<ReturnType<typeof createTestDatabase>>;
/** One master key per test process (a fresh database per file holds the subject keys). */
const TEST_MASTER_KEYS = generateMasterKeys();
import { timeSkippingEnv } from './temporal.js';

/**
 * The usual test stack: the time-skipping server, a fresh database, and the real workers (workflows + the paced
 * SMS queue) with the real activities — the sandbox SMS provider unless another is given, AI templates unless an
 * OpenAI client is.
 */
export async function timeSkippingStack(
  opts: {
    sms?: SmsProvider;
    ai?: ActivityDeps['ai'];
    retention?: ActivityDeps['retention'];
    /** The per-phone daily cap (MAX_TEXTS_PER_DAY); omitted = none. */
    textsPerDay?: number;
    /** Test-only activities registered beside the real ones (they get the test database). */
    extraActivities?: (db: Database['db']) => object;
    /** A module re-exporting workflows/index.ts plus test workflows. */
    workflowsPath?: string;
  } = {},
) {
  // Payloads are sealed as in production (db/payload-codec.ts), with subject keys in the test database.
  const late: { db?: Database['db'] } = {};
  const payloadCodec = createPayloadCodec(() => late.db!, TEST_MASTER_KEYS);
  const [env, database] = await Promise.all([timeSkippingEnv({ payloadCodec }), createTestDatabase()]);
  late.db = database.db;
  const worker = await createWorkers({
    payloadCodec,
    connection: env.nativeConnection,
    activities: {
      ...createActivities({
        db: database.db,
        sms: opts.sms ?? createSandboxProvider(),
        ai: opts.ai,
        ...(opts.retention && { retention: opts.retention }),
        ...(opts.textsPerDay !== undefined && { textsPerDay: opts.textsPerDay }),
      }),
      ...opts.extraActivities?.(database.db),
    },
    smsPerSecond: 1000,
    ...(opts.workflowsPath && { workflowsPath: opts.workflowsPath }),
  });
  const running = worker.run();
  return {
    env,
    database,
    payloadCodec,
    async close() {
      worker.shutdown();
      await running;
      await env.teardown();
      await database.close();
    },
  };
}

export type TimeSkippingStack = Awaited<ReturnType<typeof timeSkippingStack>>;

/**
 * For one test file: the usual stack and the API app over it, started before the file's tests and closed after.
 * Read its fields inside tests (they are set in `beforeAll`).
 */
export function stackWithApp(): TimeSkippingStack & { app: ReturnType<typeof testApp> } {
  const t = {} as TimeSkippingStack & { app: ReturnType<typeof testApp> };
  beforeAll(async () => {
    const stack = await timeSkippingStack();
    Object.assign(t, stack, {
      app: testApp(stack.database.db, stack.env.client, {}, undefined, stack.payloadCodec),
    });
  });
  afterAll(async () => {
    await t.close?.();
  });
  return t;
}
