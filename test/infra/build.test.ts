/**
 * The production image's shape, without Docker: `npm run build` into a temporary /app-like directory (dist/, the
 * project's package.json, node_modules), then the compiled entry points run with plain `node` — no tsx — as the
 * Dockerfile's runtime stage runs them: the migration job on a new database, the worker (which must load the
 * pre-built workflow bundle, not bundle at start) and the API, against the Temporal CLI dev server and PostgreSQL.
 * A member is created, welcomed by the worker's workflow, confirms by SMS, and is active.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../worker/infra.js';
import { workflowCodeOptions, workflowsPath } from '../../worker/worker.js';
import { devServerEnv, waitFor } from '../helpers/temporal.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const KEY = 'build-test-key-0123456789';
const PHONE = '+14155550142';

describe('which workflow code the worker loads (workflowCodeOptions)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'crewline-bundle-'));
  const bundle = path.join(dir, 'workflow-bundle.js');
  writeFileSync(bundle, '// a bundle');

  it('WORKFLOW_BUNDLE_PATH: that bundle; naming a missing file is an error, not a silent fallback', () => {
    expect(workflowCodeOptions({ bundlePath: bundle })).toEqual({
      source: 'bundle',
      codePath: bundle,
      options: { workflowBundle: { codePath: bundle } },
    });
    expect(() => workflowCodeOptions({ bundlePath: path.join(dir, 'missing.js') })).toThrow(
      /WORKFLOW_BUNDLE_PATH/,
    );
  });

  it('a bundle beside the compiled worker is used; without one the sources are bundled at start', () => {
    expect(workflowCodeOptions({ defaultBundle: bundle }).source).toBe('bundle');
    expect(workflowCodeOptions({ defaultBundle: path.join(dir, 'none.js') })).toEqual({
      source: 'sources',
      options: { workflowsPath },
    });
    // From the repository (tsx) there is no bundle next to worker/worker.ts: tests bundle the current sources.
    expect(workflowCodeOptions().source).toBe('sources');
  });
});

describe('the compiled image, run with plain node', () => {
  const app = mkdtempSync(path.join(tmpdir(), 'crewline-app-'));
  const dist = path.join(app, 'dist');
  let env: TestWorkflowEnvironment;
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;
  const children: ChildProcess[] = [];
  let buildOutput = '';

  beforeAll(async () => {
    const adminUrl = inject('pgAdminUrl');
    const name = `t_${randomBytes(6).toString('hex')}`;
    const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    databaseUrl = adminUrl.replace(/\/[^/]+$/, `/${name}`);
    dropDatabase = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
    const build = new Promise<number | null>((resolve) => {
      const child = spawn('npm', ['run', 'build', '--', '--out-dir', dist], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (d: Buffer) => (buildOutput += d.toString()));
      child.stderr.on('data', (d: Buffer) => (buildOutput += d.toString()));
      child.once('exit', resolve);
    });
    const [code, e] = await Promise.all([build, devServerEnv()]);
    env = e;
    expect(code, buildOutput).toBe(0);
    // The image's /app: package.json (type: module) and the production node_modules beside dist/.
    copyFileSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'), 'dir');
  }, 600_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await env?.teardown();
    await dropDatabase?.();
    rmSync(app, { recursive: true, force: true });
  });

  const MASTER_KEY = randomBytes(32).toString('base64');
  const processEnv = (extra: Record<string, string> = {}) => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    API_KEYS: KEY,
    // Required in production: wraps the per-subject keys that seal personal data in Temporal payloads.
    PAYLOAD_MASTER_KEY: MASTER_KEY,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: env.address,
    ...extra,
  });

  /** Plain node (no --import tsx): a .ts file anywhere on the path would fail to load. */
  function run(entry: string, extra: Record<string, string> = {}) {
    const child = spawn(process.execPath, [path.join(dist, entry)], {
      cwd: app,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: processEnv(extra),
    });
    const out = { text: '' };
    child.stdout.on('data', (d: Buffer) => (out.text += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out.text += d.toString()));
    children.push(child);
    return { child, out };
  }

  it('builds dist/ with the migrations and a workflow bundle', () => {
    for (const f of ['worker/main.js', 'scripts/api.js', 'db/migrate-cli.js', 'workflow-bundle.js'])
      expect(existsSync(path.join(dist, f)), f).toBe(true);
    expect(existsSync(path.join(dist, 'db/migrations/meta/_journal.json'))).toBe(true);
    expect(existsSync(path.join(dist, 'test'))).toBe(false);
  });

  it('migrate, worker and API from dist/: a member is welcomed and confirms by SMS', async () => {
    const migrate = spawnSync(process.execPath, [path.join(dist, 'db/migrate-cli.js')], {
      cwd: app,
      env: processEnv(),
      encoding: 'utf8',
    });
    expect(migrate.status, migrate.stderr).toBe(0);
    expect(migrate.stdout).toContain('migrations applied');

    const worker = run('worker/main.js');
    const port = await freePort();
    const api = run('scripts/api.js', { PORT: String(port) });
    const url = `http://127.0.0.1:${port}`;

    // The worker says which workflow code it loaded: the pre-built bundle of this build.
    const line = await waitFor(
      () =>
        worker.out.text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { msg: string; workflowCode?: string; bundle?: string })
          .find((l) => l.workflowCode),
      'the worker naming its workflow code',
      120_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${worker.out.text}`);
    });
    expect(line).toMatchObject({ workflowCode: 'bundle', bundle: path.join(dist, 'workflow-bundle.js') });
    await waitFor(() => worker.out.text.includes('"worker running"'), 'worker running', 60_000);

    await waitFor(
      async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200,
      'the API ready',
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${api.out.text}`);
    });
    const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
    const created = await fetch(`${url}/members`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'Ana', phone: PHONE, timezone: 'UTC', checkInTime: '09:00' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    const outbox = async () => {
      const res = await fetch(`${url}/dev/outbox?memberId=${id}`, { headers });
      return ((await res.json()) as { messages: Array<{ kind: string }> }).messages.map((m) => m.kind);
    };
    await waitFor(async () => (await outbox()).includes('welcome'), 'the welcome text', 60_000);

    const reply = await fetch(`${url}/webhooks/twilio/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        MessageSid: `SM${randomBytes(16).toString('hex')}`,
        From: PHONE,
        To: '+15005550006',
        Body: 'YES',
      }).toString(),
    });
    expect(reply.status).toBe(200);
    await waitFor(
      async () => {
        const res = await fetch(`${url}/members/${id}`, { headers });
        return ((await res.json()) as { status: string }).status === 'active';
      },
      'the member active',
      60_000,
    );
    await waitFor(async () => (await outbox()).includes('confirmed'), 'the confirmation text', 60_000);
    expect((await outbox()).sort()).toEqual(['confirmed', 'welcome']);

    worker.child.kill('SIGTERM');
    api.child.kill('SIGTERM');
    const exits = await Promise.all(
      [worker.child, api.child].map((c) => new Promise<number | null>((r) => c.once('exit', r))),
    );
    expect(exits).toEqual([0, 0]);
  }, 300_000);
});
