/**
 * `npm start`'s Web UI decodes through the codec endpoint (api/routes/codec.ts `codecDevAccess`): the dev server's
 * UI sends no API key, so in the dev mode that only scripts/start.ts turns on, a codec call without credentials is
 * answered when it comes over a loopback socket from a loopback origin listed in CODEC_CORS_ORIGINS — and refused
 * (401) otherwise, and always in a configuration loaded from the environment (production). Over real HTTP on
 * 127.0.0.1 (the socket address is what is checked), real Postgres for the key lookups.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from '../../api/server.js';
import { loadConfig } from '../../worker/config.js';
import { API_KEY, testApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/db.js';
import type { Client } from '@temporalio/client';

const UI = 'http://127.0.0.1:8233';
const ORIGINS = [UI, 'http://localhost:8233', 'https://temporal-ui.example.com'];
const NO_TEMPORAL = {} as Client;

/** A stand-in codec: decoding reverses the data bytes (enough to see that the codec answered). */
const reverse = (ps: Payload[]) =>
  Promise.resolve(ps.map((p) => ({ ...p, data: Buffer.from(p.data ?? []).reverse() })));
const codec: PayloadCodec = { encode: reverse, decode: reverse };

let database: Awaited<ReturnType<typeof createTestDatabase>>;
const servers: Array<Awaited<ReturnType<typeof listen>>> = [];
let dev: string;
let prod: string;

beforeAll(async () => {
  database = await createTestDatabase();
  const devApp = testApp(
    database.db,
    NO_TEMPORAL,
    { codecCorsOrigins: ORIGINS, codecDevLoopback: true },
    undefined,
    codec,
  );
  // A configuration as a deployment loads it from its environment, even one that tries to turn the mode on.
  const loaded = loadConfig({
    NODE_ENV: 'production',
    API_KEYS: API_KEY,
    CODEC_CORS_ORIGINS: ORIGINS.join(','),
    CODEC_DEV_LOOPBACK: 'true',
    DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
    TEMPORAL_ADDRESS: '127.0.0.1:1',
  });
  expect('codecDevLoopback' in loaded).toBe(false);
  const prodApp = testApp(
    database.db,
    NO_TEMPORAL,
    { codecCorsOrigins: loaded.codecCorsOrigins, apiKeys: loaded.apiKeys },
    undefined,
    codec,
  );
  servers.push(await listen(devApp, 0, '127.0.0.1'), await listen(prodApp, 0, '127.0.0.1'));
  [dev, prod] = servers.map((s) => s.url) as [string, string];
}, 120_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await database?.close();
});

const body = {
  payloads: [{ metadata: { encoding: Buffer.from('json/plain').toString('base64') }, data: 'AQID' }],
};
const decode = (base: string, headers: Record<string, string>, b: unknown = body) =>
  fetch(`${base}/codec/decode`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: JSON.stringify(b),
  });

describe('the dev server Web UI’s codec calls (npm start)', () => {
  it('decodes without a key from the listed loopback origin, with its CORS answer', async () => {
    for (const origin of [UI, 'http://localhost:8233']) {
      const res = await decode(dev, { origin });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe(origin);
      expect(await res.json()).toEqual({ payloads: [{ ...body.payloads[0], data: 'AwIB' }] });
    }
    // The UI's preflight is answered too.
    const pre = await fetch(`${dev}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get('access-control-allow-origin')).toBe(UI);
  });

  it('refuses (401) without a key: no origin (a CLI or script), an unlisted origin, a listed non-loopback one', async () => {
    const cases: Array<Record<string, string>> = [
      {},
      { origin: 'http://evil.example' },
      { origin: 'http://127.0.0.1:9999' },
      { origin: 'https://temporal-ui.example.com' },
    ];
    for (const headers of cases) {
      const res = await decode(dev, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('a call with a key is checked as usual: a wrong key is 401 even from the UI’s origin; the right one decodes', async () => {
    expect((await decode(dev, { origin: UI, authorization: 'Bearer not-a-key-000000' })).status).toBe(401);
    expect((await decode(dev, { origin: UI, authorization: `Bearer ${API_KEY}` })).status).toBe(200);
  });

  it('a request without a socket address (not over loopback) is refused', async () => {
    const devApp = testApp(
      database.db,
      NO_TEMPORAL,
      { codecCorsOrigins: ORIGINS, codecDevLoopback: true },
      undefined,
      codec,
    );
    const res = await devApp.request('/codec/decode', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: UI },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(401);
  });

  it('bad input in the dev mode is a 400 problem naming the field', async () => {
    const res = await decode(dev, { origin: UI }, { payloads: [{ data: 'not base64!' }] });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(await res.json())).toContain('payloads');
  });
});

describe('a configuration loaded from the environment (production)', () => {
  it('refuses the same call from the same loopback origin: 401 without a key, 200 with one', async () => {
    const res = await decode(prod, { origin: UI });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await decode(prod, { origin: UI, authorization: `Bearer ${API_KEY}` })).status).toBe(200);
  });
});
