/**
 * The payload codec: seals personal data inside Temporal payloads with per-subject keys (crypto-shredding).
 *
 * The SDK's codec gets no workflow context (temporalio/features#434), so the subject travels inside the payload
 * (workflows/lib/subject.ts): in every `json/plain` payload, each object with a valid `subject` field is replaced
 * by `{ "$sealed": { v, s, k, n, c } }` — AES-256-GCM under that subject's data key, the AAD binding version,
 * subject and key id. Unmarked structure (ids, statuses, timers) stays readable JSON, so operators and tools
 * without the codec still see what a workflow does, never whom it is about. A payload that was sealed carries
 * the metadata `crewline-sealed`; payloads without it (committed plaintext histories, other encodings) pass
 * through untouched. Decoding with a destroyed key yields the tombstone `{ subject, erased: true }` and never
 * throws; a payload whose ciphertext or AAD was tampered with fails.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { isSubject } from '../workflows/lib/subject.js';
import type { Db } from './client.js';
import { createSubjectKeyStore, type MasterKeys, type SubjectKeyStore } from './subject-keys.js';

export const SEALED_METADATA_KEY = 'crewline-sealed';
const SEALED_FIELD = '$sealed';
const VERSION = 1;
const enc = new TextEncoder();
const dec = new TextDecoder();

interface SealedEnvelope {
  v: number;
  s: string;
  /** Absent when the subject was already erased at encode time (nothing readable is stored). */
  k?: string;
  n?: string;
  c?: string;
  erased?: true;
}

const aad = (subject: string, keyId: string) => Buffer.from(`crewline-seal|v${VERSION}|${subject}|${keyId}`);

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isMarked(v: Json): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && isSubject(v.subject);
}

function sealedEnvelope(v: Json): SealedEnvelope | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const keys = Object.keys(v);
  if (keys.length !== 1 || keys[0] !== SEALED_FIELD) return undefined;
  const e = v[SEALED_FIELD] as unknown as SealedEnvelope;
  return typeof e === 'object' && e !== null && typeof e.s === 'string' ? e : undefined;
}

async function mapJson(v: Json, f: (v: Json) => Promise<Json | undefined>): Promise<Json> {
  const replaced = await f(v);
  if (replaced !== undefined) return replaced;
  if (Array.isArray(v)) {
    const out: Json[] = [];
    for (const x of v) out.push(await mapJson(x, f));
    return out;
  }
  if (typeof v === 'object' && v !== null) {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) out[k] = await mapJson(x, f);
    return out;
  }
  return v;
}

function isJsonPlain(p: Payload): boolean {
  const e = p.metadata?.encoding;
  return !!e && dec.decode(e) === 'json/plain' && !!p.data;
}

export function createSubjectCodec(keys: SubjectKeyStore): PayloadCodec {
  async function seal(v: { [k: string]: Json }): Promise<Json> {
    const subject = v.subject as string;
    const key = await keys.keyForSubject(subject);
    if (!key) return { [SEALED_FIELD]: { v: VERSION, s: subject, erased: true } };
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key.key, nonce).setAAD(aad(subject, key.keyId));
    const body = Buffer.concat([c.update(JSON.stringify(v), 'utf8'), c.final(), c.getAuthTag()]);
    return {
      [SEALED_FIELD]: {
        v: VERSION,
        s: subject,
        k: key.keyId,
        n: nonce.toString('base64'),
        c: body.toString('base64'),
      },
    };
  }

  async function unseal(e: SealedEnvelope): Promise<Json> {
    const tombstone = { subject: e.s, erased: true };
    if (e.erased || !e.k || !e.n || !e.c) return tombstone;
    const key = await keys.keyById(e.k);
    if (!key) return tombstone;
    if (key.subject !== e.s) throw new Error('sealed payload names a key of another subject');
    const body = Buffer.from(e.c, 'base64');
    const d = createDecipheriv('aes-256-gcm', key.key, Buffer.from(e.n, 'base64')).setAAD(aad(e.s, e.k));
    d.setAuthTag(body.subarray(body.length - 16));
    const plain = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
    return JSON.parse(plain.toString('utf8')) as Json;
  }

  return {
    async encode(payloads) {
      return Promise.all(
        payloads.map(async (p) => {
          if (!isJsonPlain(p) || p.metadata?.[SEALED_METADATA_KEY]) return p;
          const text = dec.decode(p.data);
          if (!text.includes('"subject"')) return p; // nothing marked: no parse
          let sealedAny = false;
          const out = await mapJson(JSON.parse(text) as Json, async (v) => {
            if (!isMarked(v)) return undefined;
            sealedAny = true;
            return seal(v);
          });
          if (!sealedAny) return p;
          return {
            ...p,
            metadata: { ...p.metadata, [SEALED_METADATA_KEY]: enc.encode(String(VERSION)) },
            data: enc.encode(JSON.stringify(out)),
          };
        }),
      );
    },
    async decode(payloads) {
      return Promise.all(
        payloads.map(async (p) => {
          if (!p.metadata?.[SEALED_METADATA_KEY] || !isJsonPlain(p)) return p;
          const out = await mapJson(JSON.parse(dec.decode(p.data)) as Json, async (v) => {
            const e = sealedEnvelope(v);
            return e ? unseal(e) : undefined;
          });
          const metadata = { ...p.metadata };
          delete metadata[SEALED_METADATA_KEY];
          return { ...p, metadata, data: enc.encode(JSON.stringify(out)) };
        }),
      );
    },
  };
}

/** The codec over Postgres-held subject keys: what every worker, client and the codec endpoint use. */
export function createPayloadCodec(db: Db | (() => Db), masters: MasterKeys): PayloadCodec {
  return createSubjectCodec(createSubjectKeyStore(db, masters));
}
