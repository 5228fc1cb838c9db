import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createSandboxProvider } from '../../activities/sms/sandbox.js';
import type { AppDeps } from '../../api/app.js';
import { createPayloadCodec } from '../../db/payload-codec.js';
import { generateMasterKeys } from '../../db/subject-keys.js';
import { createWorkers, type Workers } from '../../worker/worker.js';
import { json, testApp } from './app.js';
import { createTestDatabase } from './db.js';
import { devServerEnv } from './temporal.js';

/** A payload in the codec protocol's JSON form (base64 metadata values and data), as /codec/decode takes it. */
export interface WirePayload {
  metadata?: Record<string, string>;
  data?: string;
}
const b64 = (u: Uint8Array | null | undefined) => Buffer.from(u ?? []).toString('base64');

/** The payloads' data as text, one payload a line. */
export const payloadsText = (ps: WirePayload[]) =>
  ps.map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8')).join('\n');

export interface CodecDevStack {
  env: TestWorkflowEnvironment;
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  /** The API over the stack, with the codec endpoint. */
  app: ReturnType<typeof testApp>;
  /** A client without the codec: it reads what the server stores. */
  raw: Client;
  /** Every payload of a workflow run's history as stored (no codec), in the codec protocol's JSON form. */
  storedPayloads: (workflowId: string, runId?: string) => Promise<WirePayload[]>;
  /** The payloads decoded through the HTTP codec endpoint (`POST /codec/decode`), as text. */
  decodeOverHttp: (payloads: WirePayload[]) => Promise<string>;
}

/**
 * For one test file on the real dev server with payloads sealed as in production (db/payload-codec.ts): the dev
 * server, a fresh database, the real workers in process over the real activities (sandbox SMS), and the API with
 * `config`; started before the file's tests and stopped after. Read the fields inside tests (set in `beforeAll`).
 */
export function codecDevStack(config: Partial<AppDeps['config']> = {}): CodecDevStack {
  const t = {} as CodecDevStack;
  let worker: Workers | undefined;
  let running: Promise<void> | undefined;
  beforeAll(async () => {
    const late: { db?: CodecDevStack['database']['db'] } = {};
    const payloadCodec = createPayloadCodec(() => late.db!, generateMasterKeys());
    [t.env, t.database] = await Promise.all([devServerEnv({ payloadCodec }), createTestDatabase()]);
    late.db = t.database.db;
    worker = await createWorkers({
      connection: t.env.nativeConnection,
      activities: createActivities({ db: t.database.db, sms: createSandboxProvider() }),
      smsPerSecond: 1000,
      payloadCodec,
    });
    running = worker.run();
    t.app = testApp(t.database.db, t.env.client, config, undefined, payloadCodec);
    t.raw = new Client({ connection: t.env.connection });
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await t.env?.teardown();
    await t.database?.close();
  });

  t.storedPayloads = async (workflowId, runId) => {
    const history = await t.raw.workflow.getHandle(workflowId, runId).fetchHistory();
    const out: WirePayload[] = [];
    const walk = (v: unknown): void => {
      if (!v || typeof v !== 'object') return;
      if (Array.isArray(v)) return v.forEach(walk);
      const o = v as Record<string, unknown>;
      if (o.metadata && typeof o.metadata === 'object' && o.data instanceof Uint8Array) {
        out.push({
          metadata: Object.fromEntries(
            Object.entries(o.metadata as Record<string, Uint8Array>).map(([k, m]) => [k, b64(m)]),
          ),
          data: b64(o.data),
        });
        return;
      }
      for (const x of Object.values(o)) walk(x);
    };
    walk(history.events);
    return out;
  };

  t.decodeOverHttp = async (payloads) => {
    const res = await t.app.request('/codec/decode', {
      method: 'POST',
      headers: { ...json, 'x-namespace': 'default' },
      body: JSON.stringify({ payloads }),
    });
    expect(res.status).toBe(200);
    return payloadsText(((await res.json()) as { payloads: WirePayload[] }).payloads);
  };
  return t;
}
