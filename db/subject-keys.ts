/**
 * The only writer of `subject_keys`: per-subject data keys, wrapped by the master key (PAYLOAD_MASTER_KEY),
 * created on first use, destroyed by `shredSubject` (crypto-shredding). Unwrapped keys are cached per process for
 * a few seconds only, so a destroyed key stops working everywhere within `SUBJECT_KEY_CACHE_TTL_MS`.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { subjectKeys } from './subject-keys-schema.js';

/** How long an unwrapped key (or a key's absence) is trusted before Postgres is asked again. */
export const SUBJECT_KEY_CACHE_TTL_MS = 5_000;
const CACHE_MAX = 10_000;

export interface MasterKey {
  id: string;
  key: Buffer;
}
/** The current master key (wraps new data keys) and every older one still accepted for unwrapping. */
export interface MasterKeys {
  current: MasterKey;
  previous: MasterKey[];
}

function masterKey(base64: string, name: string): MasterKey {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32) throw new Error(`${name} must be 32 bytes, base64-encoded`);
  // The id names the key without revealing it (a 256-bit key cannot be guessed from its hash).
  return { id: `mk_${createHash('sha256').update(key).digest('hex').slice(0, 12)}`, key };
}

/**
 * PAYLOAD_MASTER_KEY (base64, 32 bytes) and PAYLOAD_MASTER_KEYS_PREVIOUS (comma-separated, after a rotation).
 * Without PAYLOAD_MASTER_KEY: in production an error; otherwise a key generated once and kept in
 * DATA_DIR/payload-master-key (mode 0600), so restarts can still read their own histories.
 */
export async function loadMasterKeys(opts: {
  env: Record<string, string | undefined>;
  production: boolean;
  dataDir: string;
}): Promise<MasterKeys> {
  const previous = (opts.env.PAYLOAD_MASTER_KEYS_PREVIOUS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((k) => masterKey(k, 'PAYLOAD_MASTER_KEYS_PREVIOUS'));
  if (opts.env.PAYLOAD_MASTER_KEY)
    return { current: masterKey(opts.env.PAYLOAD_MASTER_KEY, 'PAYLOAD_MASTER_KEY'), previous };
  if (opts.production) throw new Error('PAYLOAD_MASTER_KEY is required in production');
  const file = path.resolve(opts.dataDir, 'payload-master-key');
  try {
    return { current: masterKey(await readFile(file, 'utf8'), file), previous };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process made it first
  }
  return { current: masterKey(await readFile(file, 'utf8'), file), previous };
}

/** A fresh random master key set (tests, `npm run keys`-style tooling). */
export function generateMasterKeys(): MasterKeys {
  return { current: masterKey(randomBytes(32).toString('base64'), 'generated'), previous: [] };
}

const wrapAad = (subject: string, keyId: string) => Buffer.from(`crewline-subject-key|${subject}|${keyId}`);

function wrap(master: MasterKey, dataKey: Buffer, subject: string, keyId: string): Buffer {
  const nonce = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', master.key, nonce).setAAD(wrapAad(subject, keyId));
  const body = Buffer.concat([c.update(dataKey), c.final()]);
  return Buffer.concat([nonce, body, c.getAuthTag()]);
}

function unwrap(master: MasterKey, wrapped: Buffer, subject: string, keyId: string): Buffer {
  const d = createDecipheriv('aes-256-gcm', master.key, wrapped.subarray(0, 12)).setAAD(
    wrapAad(subject, keyId),
  );
  d.setAuthTag(wrapped.subarray(wrapped.length - 16));
  return Buffer.concat([d.update(wrapped.subarray(12, wrapped.length - 16)), d.final()]);
}

/** A small LRU with expiry (Map keeps insertion order). */
class TtlCache<V> {
  private readonly map = new Map<string, { v: V; until: number }>();
  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}
  get(k: string): { v: V } | undefined {
    const e = this.map.get(k);
    if (!e) return undefined;
    this.map.delete(k);
    if (e.until < Date.now()) return undefined;
    this.map.set(k, e);
    return { v: e.v };
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, { v, until: Date.now() + this.ttlMs });
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
  delete(k: string): void {
    this.map.delete(k);
  }
}

export interface DataKey {
  subject: string;
  keyId: string;
  key: Buffer;
}

export interface SubjectKeyStore {
  /** The subject's key, created on first use; null once destroyed (the subject was erased). */
  keyForSubject(subject: string): Promise<DataKey | null>;
  /** The key a payload names; null if destroyed or never existed. */
  keyById(keyId: string): Promise<DataKey | null>;
}

type Row = typeof subjectKeys.$inferSelect;
/** Every store of this process: `shredSubject` drops the subject from their caches at once. */
const stores = new Set<{ forget(subject: string): void }>();

export function createSubjectKeyStore(
  db: Db | (() => Db),
  masters: MasterKeys,
  opts: { cacheTtlMs?: number } = {},
): SubjectKeyStore {
  const getDb = typeof db === 'function' ? db : () => db;
  const ttl = opts.cacheTtlMs ?? SUBJECT_KEY_CACHE_TTL_MS;
  const bySubject = new TtlCache<DataKey | null>(ttl, CACHE_MAX);
  const byId = new TtlCache<DataKey | null>(ttl, CACHE_MAX);
  const masterById = new Map([masters.current, ...masters.previous].map((m) => [m.id, m]));

  function open(row: Row): DataKey | null {
    if (!row.wrappedKey || row.destroyedAt) return null;
    const master = masterById.get(row.masterKeyId);
    if (!master)
      throw new Error(`subject key ${row.keyId} is wrapped by unknown master key ${row.masterKeyId}`);
    return {
      subject: row.subject,
      keyId: row.keyId,
      key: unwrap(master, row.wrappedKey, row.subject, row.keyId),
    };
  }
  function remember(row: Row, key: DataKey | null) {
    bySubject.set(row.subject, key);
    byId.set(row.keyId, key);
  }
  stores.add({
    forget(subject) {
      const k = bySubject.get(subject);
      bySubject.delete(subject);
      if (k?.v) byId.delete(k.v.keyId);
      // A key id cached without its subject entry expires by itself within the TTL.
    },
  });

  return {
    async keyForSubject(subject) {
      const hit = bySubject.get(subject);
      if (hit) return hit.v;
      let row = await getDb().query.subjectKeys.findFirst({ where: eq(subjectKeys.subject, subject) });
      if (!row) {
        const keyId = `sk_${randomBytes(12).toString('base64url')}`;
        const dataKey = randomBytes(32);
        await getDb()
          .insert(subjectKeys)
          .values({
            subject,
            keyId,
            masterKeyId: masters.current.id,
            wrappedKey: wrap(masters.current, dataKey, subject, keyId),
          })
          .onConflictDoNothing({ target: subjectKeys.subject });
        // Whoever won the race: read the stored row back.
        row = await getDb().query.subjectKeys.findFirst({ where: eq(subjectKeys.subject, subject) });
        if (!row) throw new Error('subject key vanished while being created');
      }
      const key = open(row);
      remember(row, key);
      return key;
    },
    async keyById(keyId) {
      const hit = byId.get(keyId);
      if (hit) return hit.v;
      const row = await getDb().query.subjectKeys.findFirst({ where: eq(subjectKeys.keyId, keyId) });
      if (!row) return null;
      const key = open(row);
      remember(row, key);
      return key;
    },
  };
}

/**
 * Crypto-shredding: destroys the subject's data key (its wrapped key is nulled). Every payload ever sealed for
 * the subject decodes to `{ subject, erased: true }` from then on (in other processes within the cache TTL), and
 * anything sealed for them later is stored as that tombstone. Idempotent; a subject without a key gets a destroyed
 * row, so nothing can be sealed readably for them afterwards. Returns whether a live key was destroyed.
 */
export async function shredSubject(db: Db, subject: string): Promise<boolean> {
  const destroyed = await db
    .update(subjectKeys)
    .set({ wrappedKey: null, destroyedAt: sql`now()` })
    .where(sql`${subjectKeys.subject} = ${subject} and ${subjectKeys.destroyedAt} is null`)
    .returning({ keyId: subjectKeys.keyId });
  if (destroyed.length === 0)
    await db
      .insert(subjectKeys)
      .values({
        subject,
        keyId: `sk_${randomBytes(12).toString('base64url')}`,
        masterKeyId: 'none',
        wrappedKey: null,
        destroyedAt: sql`now()`,
      })
      .onConflictDoNothing({ target: subjectKeys.subject });
  for (const s of stores) s.forget(subject);
  return destroyed.length > 0;
}
