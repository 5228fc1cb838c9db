/**
 * How the API answers failures from below it: a workflow's typed rejection becomes 422 naming the field (read
 * from the failure's details, not parsed from its text), and an unexpected error is a 500 whose log line carries
 * the error's name and code but none of the values in its message (a database error quotes the failed query).
 */
import { Writable } from 'node:stream';
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import type { Db } from '../../db/client.js';
import { invalidInput } from '../../workflows/lib/failures.js';
import { BRAND, API_KEY, json } from '../helpers/app.js';

const MEMBER = '3f1c2a4e-0000-4000-8000-000000000000';
const member = {
  id: MEMBER,
  name: 'Ana Secretname',
  phone: '+14155550177',
  timezone: 'America/New_York',
  checkInTime: '19:00',
  tone: 'friendly',
  status: 'active',
  riskLevel: 'low',
  currentStreak: 0,
  longestStreak: 0,
  lastCheckInDate: null,
  createdAt: new Date(),
};

function appWith(opts: { executeUpdate?: () => Promise<unknown>; findFirst?: () => Promise<unknown> }) {
  const lines: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  const db = { query: { members: { findFirst: opts.findFirst ?? (async () => member) } } } as unknown as Db;
  const temporal = {
    workflow: { getHandle: () => ({ executeUpdate: opts.executeUpdate ?? (async () => ({})) }) },
  } as unknown as Client;
  const app = createApp({
    db,
    temporal,
    logger,
    config: { apiKeys: [API_KEY], publicBaseUrl: 'http://localhost:3000', twilio: undefined, brand: BRAND },
  });
  return { app, lines };
}

const addGoal = (app: ReturnType<typeof appWith>['app']) =>
  app.request(`/members/${MEMBER}/goals`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ title: 'Meditate', cadence: { kind: 'daily' } }),
  });

describe('workflow rejections', () => {
  it('a typed InvalidInput failure → 422 problem+json with errors[] from its details', async () => {
    const { app } = appWith({
      executeUpdate: async () => {
        throw new WorkflowUpdateFailedError(
          'Workflow Update failed',
          invalidInput('goals', 'at most 3 active goals; archive one first'),
        );
      },
    });
    const res = await addGoal(app);
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as { errors: unknown; detail: string };
    expect(body.errors).toEqual([{ field: 'goals', message: 'at most 3 active goals; archive one first' }]);
    expect(body.detail).toBe('goals: at most 3 active goals; archive one first');
  });

  it('an untyped rejection is still a 422, but no field is guessed from its text', async () => {
    const { app } = appWith({
      executeUpdate: async () => {
        throw new WorkflowUpdateFailedError(
          'Workflow Update failed',
          ApplicationFailure.create({ message: 'title: looks like a field but is not typed' }),
        );
      },
    });
    const res = await addGoal(app);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
  });
});

describe('unexpected errors', () => {
  it('500 problem+json; the log names the error and its code, never the values in its message', async () => {
    const dbError = Object.assign(
      new Error(`insert into members values ('Ana Secretname', '+14155550177') failed: connection reset`),
      { name: 'PostgresError', code: '08006' },
    );
    const { app, lines } = appWith({
      findFirst: async () => {
        throw dbError;
      },
    });
    const res = await app.request(`/members/${MEMBER}`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.text()).not.toContain('Secretname');
    const logged = lines.join('\n');
    expect(logged).toContain('PostgresError');
    expect(logged).toContain('08006');
    expect(logged).not.toContain('Secretname');
    expect(logged).not.toContain('4155550177');
    expect(logged).not.toContain('insert into');
  });
});
