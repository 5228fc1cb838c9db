/**
 * The `api_keys` table's one writer (and reader). A key is `crw_` + 32 random bytes (base64url); only its SHA-256
 * is stored — a slow hash adds nothing for 256-bit random secrets, and a lookup by hash needs no scan.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from './client.js';
import { apiKeys, type ApiKey, type ApiKeyRole } from './access-schema.js';

export const API_KEY_PREFIX = 'crw_';

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** What may be shown about a key (never its hash). */
export type ApiKeyInfo = Omit<ApiKey, 'secretHash'>;

const info = ({ secretHash: _hash, ...rest }: ApiKey): ApiKeyInfo => rest;

/** A new key: its secret is returned here and nowhere else. */
export async function createApiKey(
  db: Db,
  input: { name: string; role: ApiKeyRole },
): Promise<ApiKeyInfo & { secret: string }> {
  const secret = API_KEY_PREFIX + randomBytes(32).toString('base64url');
  const [row] = await db
    .insert(apiKeys)
    .values({
      id: randomUUID(),
      name: input.name,
      role: input.role,
      secretHash: hashSecret(secret),
      prefix: secret.slice(0, API_KEY_PREFIX.length + 6),
    })
    .returning();
  return { ...info(row!), secret };
}

/** The active (not revoked) key with this secret, or undefined. */
export async function findActiveApiKey(db: Db, secret: string): Promise<ApiKeyInfo | undefined> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.secretHash, hashSecret(secret)), isNull(apiKeys.revokedAt)))
    .limit(1);
  return row && info(row);
}

/** Revokes a key (idempotent: a revoked key keeps its first revocation time). Undefined for an unknown id. */
export async function revokeApiKey(db: Db, id: string): Promise<ApiKeyInfo | undefined> {
  await db
    .update(apiKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)));
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id)).limit(1);
  return row && info(row);
}

export async function listApiKeys(db: Db): Promise<ApiKeyInfo[]> {
  const rows = await db.select().from(apiKeys).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id));
  return rows.map(info);
}
