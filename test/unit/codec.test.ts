/**
 * The payload codec and its key store (real Postgres): seal/unseal round trip, tamper detection, master key
 * rotation, crypto-shredding's tombstone, pass-through of payloads it did not encode.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSubjectCodec, SEALED_METADATA_KEY } from '../../db/payload-codec.js';
import {
  createSubjectKeyStore,
  generateMasterKeys,
  loadMasterKeys,
  shredSubject,
} from '../../db/subject-keys.js';
import { aboutSubject, subjectOf } from '../../workflows/lib/subject.js';
import { createTestDatabase } from '../helpers/db.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await database?.close();
});

const masters = generateMasterKeys();
const codec = () => createSubjectCodec(createSubjectKeyStore(database.db, masters));
const toPayload = (v: unknown) => defaultPayloadConverter.toPayload(v);
const fromPayload = (p: Payload) => defaultPayloadConverter.fromPayload(p);
const raw = (p: Payload) => new TextDecoder().decode(p.data);

describe('payload codec', () => {
  it('seals a marked object so neither its text nor its fields are in the stored payload, and opens it again', async () => {
    const member = subjectOf('member', randomUUID());
    const value = {
      inboundId: 7,
      reply: aboutSubject(member, { body: 'I ran 5k today', phone: '+15550100' }),
    };
    const c = codec();
    const [sealed] = await c.encode([toPayload(value)]);
    expect(raw(sealed!)).not.toContain('I ran 5k');
    expect(raw(sealed!)).not.toContain('+15550100');
    expect(raw(sealed!)).toContain('"inboundId":7'); // unmarked structure stays readable
    expect(sealed!.metadata?.[SEALED_METADATA_KEY]).toBeDefined();
    const [opened] = await c.decode([sealed!]);
    expect(fromPayload(opened!)).toEqual(value);
    expect(opened!.metadata?.[SEALED_METADATA_KEY]).toBeUndefined();
  });

  it('round-trips arbitrary JSON with marked objects anywhere in it', async () => {
    const c = codec();
    const subject = subjectOf('guest', randomUUID());
    const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
    await fc.assert(
      fc.asyncProperty(json, json, async (outer, personal) => {
        const value = { outer, person: aboutSubject(subject, { personal }) };
        const [sealed] = await c.encode([toPayload(value)]);
        const [opened] = await c.decode([sealed!]);
        expect(fromPayload(opened!)).toEqual(value);
      }),
      { numRuns: 60 },
    );
  });

  it('leaves payloads it did not encode as they are (plaintext histories, other encodings, unmarked data)', async () => {
    const c = codec();
    const plain = toPayload({ memberId: 'x', body: 'hello' });
    const binary: Payload = {
      metadata: { encoding: new TextEncoder().encode('binary/plain') },
      data: new Uint8Array([1, 2]),
    };
    const wrongSubject = toPayload({ subject: 'Re: your order', body: 'not a data subject' });
    expect(await c.encode([plain, binary, wrongSubject])).toEqual([plain, binary, wrongSubject]);
    expect(await c.decode([plain, binary, wrongSubject])).toEqual([plain, binary, wrongSubject]);
  });

  it('fails on a tampered ciphertext or a sealed part moved to another subject', async () => {
    const c = codec();
    const a = subjectOf('member', randomUUID());
    const b = subjectOf('member', randomUUID());
    const [sa] = await c.encode([toPayload(aboutSubject(a, { body: 'secret a' }))]);
    await c.encode([toPayload(aboutSubject(b, { body: 'secret b' }))]);
    const env = JSON.parse(raw(sa!)) as { $sealed: { s: string; c: string } };
    const flipped = Buffer.from(env.$sealed.c, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    const tampered = {
      ...sa!,
      data: new TextEncoder().encode(
        JSON.stringify({ $sealed: { ...env.$sealed, c: flipped.toString('base64') } }),
      ),
    };
    await expect(c.decode([tampered])).rejects.toThrow();
    const relabelled = {
      ...sa!,
      data: new TextEncoder().encode(JSON.stringify({ $sealed: { ...env.$sealed, s: b } })),
    };
    await expect(c.decode([relabelled])).rejects.toThrow();
  });

  it('decodes to the tombstone once the subject is shredded, while another subject still decodes', async () => {
    const c = codec();
    const gone = subjectOf('member', randomUUID());
    const kept = subjectOf('member', randomUUID());
    const [sg, sk] = await c.encode([
      toPayload(aboutSubject(gone, { body: 'forget me' })),
      toPayload(aboutSubject(kept, { body: 'keep me' })),
    ]);
    expect(await shredSubject(database.db, gone)).toBe(true);
    const [og, ok] = await c.decode([sg!, sk!]);
    expect(fromPayload(og!)).toEqual({ subject: gone, erased: true });
    expect(fromPayload(ok!)).toEqual({ subject: kept, body: 'keep me' });
    // Idempotent, and whatever is sealed for an erased subject later is stored as the tombstone.
    expect(await shredSubject(database.db, gone)).toBe(false);
    const [later] = await c.encode([toPayload(aboutSubject(gone, { body: 'new text' }))]);
    expect(raw(later!)).not.toContain('new text');
    expect(fromPayload((await c.decode([later!]))[0]!)).toEqual({ subject: gone, erased: true });
  });

  it('stops opening a shredded key in another process within the cache TTL', async () => {
    const other = createSubjectCodec(createSubjectKeyStore(database.db, masters, { cacheTtlMs: 200 }));
    const s = subjectOf('guest', randomUUID());
    const [sealed] = await other.encode([toPayload(aboutSubject(s, { body: 'x' }))]);
    expect(fromPayload((await other.decode([sealed!]))[0]!)).toEqual({ subject: s, body: 'x' });
    // Shredded through a database handle the store's process does not share a cache with.
    await database.db.execute(
      sql`update subject_keys set wrapped_key = null, destroyed_at = now() where subject = ${s}`,
    );
    await new Promise((r) => setTimeout(r, 250)); // the configured TTL itself is what is under test
    expect(fromPayload((await other.decode([sealed!]))[0]!)).toEqual({ subject: s, erased: true });
  });

  it('keeps keys wrapped by a previous master key readable after a rotation', async () => {
    const s = subjectOf('mentor', randomUUID());
    const [sealed] = await codec().encode([toPayload(aboutSubject(s, { name: 'Ana' }))]);
    const rotated = { current: generateMasterKeys().current, previous: [masters.current] };
    const after = createSubjectCodec(createSubjectKeyStore(database.db, rotated));
    expect(fromPayload((await after.decode([sealed!]))[0]!)).toEqual({ subject: s, name: 'Ana' });
    const withoutOld = createSubjectCodec(
      createSubjectKeyStore(database.db, { current: rotated.current, previous: [] }),
    );
    await expect(withoutOld.decode([sealed!])).rejects.toThrow(/unknown master key/);
    // The stored row holds only the wrapped key: not the plaintext key, never the master key.
    const rows = await database.db.execute(
      sql`select wrapped_key, master_key_id from subject_keys where subject = ${s}`,
    );
    const row = (rows as unknown as { wrapped_key: Buffer; master_key_id: string }[])[0]!;
    expect(row.master_key_id).toBe(masters.current.id);
    expect(Buffer.from(row.wrapped_key).includes(masters.current.key)).toBe(false);
  });
});

describe('master keys', () => {
  it('generates a development key once, 0600, and reads it back', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mk-'));
    const a = await loadMasterKeys({ env: {}, production: false, dataDir: dir });
    const b = await loadMasterKeys({ env: {}, production: false, dataDir: dir });
    expect(a.current.id).toBe(b.current.id);
    expect((await stat(path.join(dir, 'payload-master-key'))).mode & 0o777).toBe(0o600);
    expect(
      Buffer.from((await readFile(path.join(dir, 'payload-master-key'), 'utf8')).trim(), 'base64'),
    ).toHaveLength(32);
  });

  it('requires PAYLOAD_MASTER_KEY in production and rejects a key of the wrong size', async () => {
    await expect(loadMasterKeys({ env: {}, production: true, dataDir: '/nonexistent' })).rejects.toThrow(
      /required/,
    );
    await expect(
      loadMasterKeys({
        env: { PAYLOAD_MASTER_KEY: Buffer.alloc(16).toString('base64') },
        production: true,
        dataDir: '/x',
      }),
    ).rejects.toThrow(/32 bytes/);
    const ok = await loadMasterKeys({
      env: {
        PAYLOAD_MASTER_KEY: Buffer.alloc(32, 1).toString('base64'),
        PAYLOAD_MASTER_KEYS_PREVIOUS: Buffer.alloc(32, 2).toString('base64'),
      },
      production: true,
      dataDir: '/x',
    });
    expect(ok.previous).toHaveLength(1);
    expect(ok.current.id).not.toBe(ok.previous[0]!.id);
  });
});
