import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createDb } from '../../db/client.js';
import { runMigrations } from '../../db/migrate.js';

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase() {
  const adminUrl = inject('pgAdminUrl');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = adminUrl.replace(/\/[^/]+$/, `/${name}`);
  await runMigrations(url);
  const handle = createDb(url, { max: 5 });
  return { url, ...handle };
}
