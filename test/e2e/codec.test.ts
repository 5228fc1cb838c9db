/**
 * Crypto-shredding on the real dev server (README "Privacy"): two members reply by SMS; the raw histories
 * (read by a client without the codec) hold neither their numbers nor their words; decoded through the HTTP
 * codec endpoint they do; after `shredSubject` one member's payloads decode to the tombstone while the other's
 * still decode. The endpoint needs a key (401) and answers the Web UI's CORS preflight.
 */
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities/index.js';
import { createSandboxProvider } from '../../activities/sms/sandbox.js';
import { createPayloadCodec } from '../../db/payload-codec.js';
import { generateMasterKeys, shredSubject } from '../../db/subject-keys.js';
import { createWorkers, type Workers } from '../../worker/worker.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { auth, json, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import { confirmMember, newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { devServerEnv, waitFor } from '../helpers/temporal.js';

let env: TestWorkflowEnvironment;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: Workers;
let running: Promise<void>;
let app: ReturnType<typeof testApp>;
let raw: Client;

beforeAll(async () => {
  const late: { db?: typeof database.db } = {};
  const payloadCodec = createPayloadCodec(() => late.db!, generateMasterKeys());
  [env, database] = await Promise.all([devServerEnv({ payloadCodec }), createTestDatabase()]);
  late.db = database.db;
  worker = await createWorkers({
    connection: env.nativeConnection,
    activities: createActivities({ db: database.db, sms: createSandboxProvider() }),
    smsPerSecond: 1000,
    payloadCodec,
  });
  running = worker.run();
  app = testApp(database.db, env.client, {}, undefined, payloadCodec);
  raw = new Client({ connection: env.connection }); // no codec: what the server stores
}, 120_000);

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
  await database?.close();
});

interface WirePayload {
  metadata?: Record<string, string>;
  data?: string;
}
const b64 = (u: Uint8Array | null | undefined) => Buffer.from(u ?? []).toString('base64');

/** Every payload of a workflow's history as stored (no codec), in the codec protocol's JSON form. */
async function storedPayloads(workflowId: string): Promise<WirePayload[]> {
  const history = await raw.workflow.getHandle(workflowId).fetchHistory();
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
}
const text = (ps: WirePayload[]) =>
  ps.map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8')).join('\n');

async function decodeOverHttp(payloads: WirePayload[]): Promise<string> {
  const res = await app.request('/codec/decode', {
    method: 'POST',
    headers: { ...json, 'x-namespace': 'default' },
    body: JSON.stringify({ payloads }),
  });
  expect(res.status).toBe(200);
  return text(((await res.json()) as { payloads: WirePayload[] }).payloads);
}

const members = [
  { name: 'Zoraida Quintero', phone: '+14155550161', words: 'walked the dog past the lighthouse' },
  { name: 'Bartholomew Okafor', phone: '+14155550162', words: 'meditated beside the cherry tree' },
];
const ids: string[] = [];

describe('payload codec on the dev server', () => {
  it('stores neither numbers nor reply texts in histories; the codec endpoint decodes them', async () => {
    const post = sandboxInbound(app);
    for (const m of members) {
      const res = await app.request('/members', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ name: m.name, phone: m.phone, timezone: 'UTC', checkInTime: '03:00' }),
      });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      ids.push(id);
      await confirmMember(env.client, { id, phone: m.phone }, post, 60_000);
      expect(
        (await post({ MessageSid: newMessageSid(), From: m.phone, To: OUR_NUMBER, Body: m.words })).status,
      ).toBe(200);
    }
    for (const [i, m] of members.entries()) {
      // The reply reached the workflow: a sealed `reply` signal in its history.
      const stored = await waitFor(
        async () => {
          const ps = await storedPayloads(memberWorkflowId(ids[i]!));
          return (await decodeOverHttp(ps)).includes(m.words) && ps;
        },
        'the reply in the history',
        60_000,
      );
      const plain = text(stored);
      for (const other of members) {
        expect(plain).not.toContain(other.phone);
        expect(plain).not.toContain(other.words);
        expect(plain).not.toContain(other.name);
      }
      expect(plain).toContain('$sealed');
      const decoded = await decodeOverHttp(stored);
      expect(decoded).toContain(m.words);
      expect(decoded).not.toContain(members[1 - i]!.words);
    }
  }, 240_000);

  it('after shredSubject one member decodes to the tombstone, the other still decodes', async () => {
    expect(await shredSubject(database.db, `member:${ids[0]}`)).toBe(true);
    const gone = await decodeOverHttp(await storedPayloads(memberWorkflowId(ids[0]!)));
    expect(gone).not.toContain(members[0]!.words);
    expect(gone).toContain(JSON.stringify({ subject: `member:${ids[0]}`, erased: true }));
    const kept = await decodeOverHttp(await storedPayloads(memberWorkflowId(ids[1]!)));
    expect(kept).toContain(members[1]!.words);
  }, 60_000);

  it('refuses the codec endpoint without a key and answers the Web UI preflight from allowed origins only', async () => {
    const body = JSON.stringify({ payloads: [] });
    const none = await app.request('/codec/decode', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(none.status).toBe(401);
    const preflight = (origin: string) =>
      app.request('/codec/decode', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-namespace',
        },
      });
    const ok = await preflight('http://127.0.0.1:8233');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const evil = await preflight('https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const bad = await app.request('/codec/decode', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [{ data: 'not base64!' }] }),
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('payloads');
  });
});
