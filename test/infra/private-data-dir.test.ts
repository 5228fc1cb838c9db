/**
 * `npm start` with DATA_DIR inside a private (0700) directory. As root, PostgreSQL runs as the postgres user,
 * which cannot traverse that directory: initdb used to fail with EACCES. Now the cluster is placed where the
 * postgres user can reach it, DATA_DIR/postgres links to it, the user's directory keeps its mode, and a second
 * start finds the same data. (Not as root, the cluster is simply in DATA_DIR/postgres.)
 */
import { lstat, mkdtemp, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, expect, it } from 'vitest';
import { startEmbeddedPostgres, type RunningPostgres } from '../../worker/infra.js';

const isRoot = process.getuid?.() === 0;
let home: string | undefined;
let pg: RunningPostgres | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  await pg?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  if (home) await rm(home, { recursive: true, force: true });
});

async function query<T>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await run(sql);
  } finally {
    await sql.end();
  }
}

it('starts the embedded PostgreSQL with DATA_DIR inside a 0700 directory, and finds its data again', async () => {
  home = await mkdtemp(path.join(tmpdir(), 'crewline-private-')); // mode 0700
  expect((await stat(home)).mode & 0o777).toBe(0o700);
  const asked = path.join(home, 'data', 'postgres');

  pg = await startEmbeddedPostgres({ dir: asked, persistent: true });
  dataDir = pg.dataDir;
  await query(pg.url, (sql) =>
    sql`create table kept (n integer)`.then(() => sql`insert into kept values (7)`),
  );

  expect(existsSync(path.join(pg.dataDir, 'PG_VERSION'))).toBe(true);
  if (isRoot) {
    // The cluster is outside the private directory; the path asked for links to it.
    expect(pg.dataDir.startsWith(home)).toBe(false);
    expect(pg.linkedFrom).toBe(asked);
    expect((await lstat(asked)).isSymbolicLink()).toBe(true);
  } else {
    expect(pg.dataDir).toBe(asked);
  }
  // Nobody chmod-ed the user's directory.
  expect((await stat(home)).mode & 0o777).toBe(0o700);

  await pg.stop();
  pg = await startEmbeddedPostgres({ dir: asked, persistent: true });
  expect(pg.dataDir).toBe(dataDir);
  const rows = await query(pg.url, (sql) => sql<{ n: number }[]>`select n from kept`);
  expect(rows.map((r) => r.n)).toEqual([7]);
});
