/** `npm run migrate`: apply committed migrations to DATABASE_URL. */
import { loadConfig } from '../worker/config.js';
import { runMigrations } from './migrate.js';

const config = loadConfig();
if (!config.databaseUrl) {
  console.error('DATABASE_URL is not set (npm start applies migrations to its embedded Postgres by itself).');
  process.exit(1);
}
await runMigrations(config.databaseUrl);
console.log('migrations applied');
