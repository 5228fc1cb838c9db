/**
 * API keys from the command line (`npm run keys -- …`), against DATABASE_URL:
 *
 *   create --role admin|operator|app --name <name>   prints the new key's secret (shown this once) and id
 *   list                                              id, role, name, prefix, created, revoked
 *   revoke <id>                                       refused from the next request on
 *
 * With `npm start`'s embedded PostgreSQL (no DATABASE_URL) use POST /keys with the development key instead.
 */
import { parseArgs } from 'node:util';
import { API_KEY_ROLES, type ApiKeyRole } from '../db/access-schema.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../db/api-keys.js';
import { isSafeText } from '../api/schemas/atoms.js';
import { createDb } from '../db/client.js';
import { loadConfig } from '../worker/config.js';

const USAGE = `usage: npm run keys -- create --role ${API_KEY_ROLES.join('|')} --name <name>
       npm run keys -- list
       npm run keys -- revoke <id>`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { role: { type: 'string' }, name: { type: 'string' } },
});
const [command, ...rest] = positionals;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
if (command === 'create') {
  if (!API_KEY_ROLES.includes(values.role as ApiKeyRole))
    fail(`--role must be one of ${API_KEY_ROLES.join(', ')}`);
  const name = values.name?.trim();
  if (!name || name.length > 100 || !isSafeText(name) || /[\n\r\t]/.test(name))
    fail('--name: 1 to 100 characters');
} else if (command === 'revoke') {
  if (!rest[0] || !UUID.test(rest[0])) fail('revoke needs the key id (a UUID)');
} else if (command !== 'list') {
  fail(command ? `unknown command: ${command}` : 'no command');
}

const { databaseUrl } = loadConfig();
if (!databaseUrl)
  fail('DATABASE_URL is not set (with npm start, create keys with POST /keys and the dev key)');
const { db, close } = createDb(databaseUrl, { max: 1 });
try {
  if (command === 'create') {
    const key = await createApiKey(db, { name: values.name!.trim(), role: values.role as ApiKeyRole });
    process.stdout.write(
      `${key.secret}\n` +
        `id ${key.id}, role ${key.role}, name ${key.name}: store the key now, it is not shown again\n`,
    );
  } else if (command === 'revoke') {
    const key = await revokeApiKey(db, rest[0]!);
    if (!key) {
      process.stderr.write('no such key\n');
      process.exitCode = 1;
    } else
      process.stdout.write(
        `revoked ${key.id} (${key.role}, ${key.name}) at ${key.revokedAt?.toISOString()}\n`,
      );
  } else {
    for (const k of await listApiKeys(db)) {
      process.stdout.write(
        [
          k.id,
          k.role,
          k.prefix + '…',
          k.createdAt.toISOString(),
          k.revokedAt?.toISOString() ?? 'active',
          k.name,
        ].join('\t') + '\n',
      );
    }
  }
} finally {
  await close();
}
