import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from '../../worker/infra.js';
import { startFakeTwilio, type FakeTwilio, type FakeTwilioOptions } from '../fakes/twilio.js';
import { createTestDatabase } from './db.js';
import { devServerEnv, waitFor } from './temporal.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** The sender number and public URL the processes are configured with (webhooks are signed over this URL). */
export const FROM_NUMBER = '+15005550006';
export const PUBLIC_BASE_URL = 'https://crewline.example.com';

/** A child process and the last 20,000 characters of its output (for the failure message of one that fails). */
export interface Proc {
  child: ChildProcess;
  out: { text: string };
}

export interface ProcessStack {
  fake: FakeTwilio;
  env: TestWorkflowEnvironment;
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  /** Spawns a production entry point (`worker/main.ts`, `scripts/api.ts`) with the stack's environment. */
  start: (entry: string, extra?: Record<string, string>) => Proc;
  /** A `worker/main.ts` process, once it logs "worker running". */
  startWorker: (extra?: Record<string, string>) => Promise<Proc>;
  /** A `scripts/api.ts` process on a free loopback port, once `/readyz` answers 200. */
  startApi: (extra?: Record<string, string>) => Promise<{ url: string; proc: Proc }>;
}

/**
 * For one end-to-end test file that runs the production entry points as child processes: the Temporal CLI dev
 * server, a fresh database and the fake Twilio on loopback (the processes send through the twilio SDK to it),
 * started before the file's tests; after them, every child still alive is SIGKILLed and the rest closed. `env` is
 * added to every process's environment (SMS_MPS, API_KEYS…). Read the fields inside tests (set in `beforeAll`).
 */
export function processStack(
  opts: { twilio?: FakeTwilioOptions; env?: Record<string, string> } = {},
): ProcessStack {
  const children: ChildProcess[] = [];
  const t = {} as ProcessStack;
  beforeAll(async () => {
    [t.fake, t.env, t.database] = await Promise.all([
      startFakeTwilio(opts.twilio),
      devServerEnv(),
      createTestDatabase(),
    ]);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await t.env?.teardown();
    await t.database?.close();
    await t.fake?.close();
  });

  t.start = (entry, extra = {}) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: 'development',
        LOG_LEVEL: 'info',
        DATABASE_URL: t.database.url,
        TEMPORAL_ADDRESS: t.env.address,
        TWILIO_ACCOUNT_SID: t.fake.accountSid,
        TWILIO_AUTH_TOKEN: t.fake.authToken,
        TWILIO_FROM_NUMBER: FROM_NUMBER,
        TWILIO_API_BASE_URL: t.fake.baseUrl,
        PUBLIC_BASE_URL,
        ...opts.env,
        ...extra,
      },
    });
    const out = { text: '' };
    // Kept short: only for the failure message of a process that does not come up.
    const keep = (d: Buffer) => (out.text = (out.text + d.toString()).slice(-20_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    children.push(child);
    return { child, out };
  };

  t.startWorker = async (extra) => {
    const proc = t.start('worker/main.ts', extra);
    await waitFor(
      () => proc.out.text.includes('"worker running"'),
      'a worker process running',
      180_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${proc.out.text}`);
    });
    return proc;
  };

  t.startApi = async (extra = {}) => {
    const port = await freePort();
    const proc = t.start('scripts/api.ts', { PORT: String(port), HOST: '127.0.0.1', ...extra });
    const url = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
      'an API process ready',
      120_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${proc.out.text}`);
    });
    return { url, proc };
  };
  return t;
}
