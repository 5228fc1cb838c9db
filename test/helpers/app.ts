import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import { createApp, type AppDeps } from '../../api/app.js';
import type { Db } from '../../db/client.js';

export const BRAND = { name: 'Crewline', support: 'help@crewline.app' };
export const API_KEY = 'test-api-key-123456';
export const auth = { authorization: `Bearer ${API_KEY}` };
export const json = { ...auth, 'content-type': 'application/json' };

export function testApp(
  db: Db,
  temporal: Client,
  config: Partial<AppDeps['config']> = {},
  logger: AppDeps['logger'] = pino({ level: 'silent' }),
  payloadCodec?: AppDeps['payloadCodec'],
) {
  return createApp({
    db,
    temporal,
    logger,
    ...(payloadCodec && { payloadCodec }),
    config: {
      apiKeys: [API_KEY],
      publicBaseUrl: 'http://localhost:3000',
      twilio: undefined,
      brand: BRAND,
      ...config,
    },
  });
}

interface RequestsApp {
  request(path: string, init: RequestInit): Response | Promise<Response>;
}

/**
 * `call(method, path, body?)`: a JSON request with the API key to the app `app()` returns (read at each call: a
 * file's app is made in `beforeAll`), answering the status, the headers (and Location) and the parsed body (null
 * when empty).
 */
export function jsonCalls(app: () => RequestsApp) {
  return async <T = Record<string, unknown>>(method: string, path: string, body?: unknown) => {
    const res = await app().request(path, {
      method,
      headers: json,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      location: res.headers.get('location'),
      body: (text ? JSON.parse(text) : null) as T,
    };
  };
}
