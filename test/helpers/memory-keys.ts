/**
 * An in-memory subject key store for the payload codec (db/payload-codec.ts) in tests: keys are created on first
 * use like Postgres-held ones; `destroy` shreds a subject for good, and `without` gives a view in which some
 * subjects' keys are gone (to decode one history as it reads after one person's erasure, then another's).
 */
import { randomBytes } from 'node:crypto';
import type { DataKey, SubjectKeyStore } from '../../db/subject-keys.js';

export interface MemoryKeys extends SubjectKeyStore {
  destroy(subject: string): void;
  without(...subjects: string[]): SubjectKeyStore;
}

export function memoryKeys(): MemoryKeys {
  const bySubject = new Map<string, DataKey | null>();
  const byId = new Map<string, DataKey>();
  const store: MemoryKeys = {
    async keyForSubject(subject) {
      if (bySubject.get(subject) === null) return null;
      let k = bySubject.get(subject);
      if (!k) {
        k = { subject, keyId: `sk_${randomBytes(8).toString('hex')}`, key: randomBytes(32) };
        bySubject.set(subject, k);
        byId.set(k.keyId, k);
      }
      return k;
    },
    async keyById(keyId) {
      return byId.get(keyId) ?? null;
    },
    destroy(subject) {
      const k = bySubject.get(subject);
      if (k) byId.delete(k.keyId);
      bySubject.set(subject, null);
    },
    without(...subjects) {
      const gone = new Set(subjects);
      return {
        keyForSubject: async (s) => (gone.has(s) ? null : store.keyForSubject(s)),
        keyById: async (id) => {
          const k = await store.keyById(id);
          return k && gone.has(k.subject) ? null : k;
        },
      };
    },
  };
  return store;
}
