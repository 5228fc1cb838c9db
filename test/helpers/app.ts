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
