/** One real PostgreSQL for the whole run; every test file creates its own database in it. */
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../worker/infra.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(path.join(tmpdir(), 'crewline-pg-'));
  // Our own throwaway directory: as root, initdb runs as the postgres user, and a reachable directory keeps the
  // test cluster here (a private one would be placed under /var/lib/crewline; test/infra/private-data-dir).
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres({
    dir: path.join(dir, 'data'),
    persistent: false,
    database: 'postgres_admin',
  });
  project.provide('pgAdminUrl', pg.url);
  return async () => {
    await pg.stop();
  };
}
