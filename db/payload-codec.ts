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
 *
 * Several people: a marked object that also names `alsoAbout: [<subject>…]` (words of one person carried to
 * another: a shared reflection in a crew pulse text, the mentee's briefing sent to the mentor) is sealed in
 * layers, first under `subject`'s key, then under each other subject's key in turn, each layer with its own
 * nonce and an AAD that binds its subject, its key id, its position and the whole list. Opening needs every key,
 * so destroying ANY of them (either person's erasure) leaves only the tombstone of the erased subject. The
 * envelope gains `w: [{ s, k, n }…]` for the outer layers; a single-subject envelope is unchanged.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { ALSO_ABOUT_FIELD, isSubject } from '../workflows/lib/subject.js';
import type { Db } from './client.js';
import {
  createSubjectKeyStore,
  type DataKey,
  type MasterKeys,
  type SubjectKeyStore,
} from './subject-keys.js';

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
  /** The outer layers (one per other subject) of an object sealed for several subjects, innermost first. */
  w?: Layer[];
}

interface Layer {
  s: string;
  k: string;
  n: string;
}

const aad = (subject: string, keyId: string) => Buffer.from(`crewline-seal|v${VERSION}|${subject}|${keyId}`);

/** The AAD of layer `i` of an object sealed for every subject in `all` (in that order). */
const layerAad = (subject: string, keyId: string, i: number, all: readonly string[]) =>
  Buffer.from(`crewline-seal|v${VERSION}|${subject}|${keyId}|layer ${i}|${all.join(',')}`);

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
  /** The subjects a marked object is sealed for: its own first, then each other valid one named once. */
  function subjectsOf(v: { [k: string]: Json }): string[] {
    const also = v[ALSO_ABOUT_FIELD];
    const all = [v.subject as string, ...(Array.isArray(also) ? also.filter(isSubject) : [])];
    return [...new Set(all)];
  }

  async function seal(v: { [k: string]: Json }): Promise<Json> {
    const subjects = subjectsOf(v);
    if (subjects.length > 1) return sealLayers(v, subjects);
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

  /** Sealed under each subject's key in turn; the tombstone of the first subject already erased, if any. */
  async function sealLayers(v: { [k: string]: Json }, subjects: string[]): Promise<Json> {
    const keyList: DataKey[] = [];
    for (const s of subjects) {
      const key = await keys.keyForSubject(s);
      if (!key) return { [SEALED_FIELD]: { v: VERSION, s, erased: true } };
      keyList.push(key);
    }
    let body = Buffer.from(JSON.stringify(v), 'utf8');
    const layers: Layer[] = [];
    for (const [i, key] of keyList.entries()) {
      const nonce = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key.key, nonce).setAAD(
        layerAad(subjects[i]!, key.keyId, i, subjects),
      );
      body = Buffer.concat([c.update(body), c.final(), c.getAuthTag()]);
      layers.push({ s: subjects[i]!, k: key.keyId, n: nonce.toString('base64') });
    }
    const [first, ...outer] = layers;
    return {
      [SEALED_FIELD]: {
        v: VERSION,
        s: first!.s,
        k: first!.k,
        n: first!.n,
        w: outer as unknown as Json,
        c: body.toString('base64'),
      },
    };
  }

  /** Opens the layers outermost first; the tombstone of the first subject whose key is gone. */
  async function unsealLayers(e: SealedEnvelope & { k: string; n: string; c: string; w: Layer[] }) {
    const layers: Layer[] = [{ s: e.s, k: e.k, n: e.n }, ...e.w];
    const subjects = layers.map((l) => l.s);
    let body = Buffer.from(e.c, 'base64');
    for (let i = layers.length - 1; i >= 0; i--) {
      const l = layers[i]!;
      const key = await keys.keyById(l.k);
      if (!key) return { subject: l.s, erased: true };
      if (key.subject !== l.s) throw new Error('sealed payload names a key of another subject');
      const d = createDecipheriv('aes-256-gcm', key.key, Buffer.from(l.n, 'base64')).setAAD(
        layerAad(l.s, l.k, i, subjects),
      );
      d.setAuthTag(body.subarray(body.length - 16));
      body = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
    }
    return JSON.parse(body.toString('utf8')) as Json;
  }

  async function unseal(e: SealedEnvelope): Promise<Json> {
    const tombstone = { subject: e.s, erased: true };
    if (e.erased || !e.k || !e.n || !e.c) return tombstone;
    if (Array.isArray(e.w) && e.w.length > 0) return unsealLayers({ ...e, k: e.k, n: e.n, c: e.c, w: e.w });
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
