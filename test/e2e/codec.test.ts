/**
 * Crypto-shredding on the real dev server (README "Privacy"): two members reply by SMS; the raw histories
 * (read by a client without the codec) hold neither their numbers nor their words; decoded through the HTTP
 * codec endpoint they do; after `shredSubject` one member's payloads decode to the tombstone while the other's
 * still decode. The endpoint needs a key (401) and answers the Web UI's CORS preflight.
 */
import { describe, expect, it } from 'vitest';
import { shredSubject } from '../../db/subject-keys.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { auth, json } from '../helpers/app.js';
import { codecDevStack, payloadsText } from '../helpers/codec-stack.js';
import { confirmMember, newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { waitFor } from '../helpers/temporal.js';

const c = codecDevStack();
const { storedPayloads, decodeOverHttp } = c;

const members = [
  { name: 'Zoraida Quintero', phone: '+14155550161', words: 'walked the dog past the lighthouse' },
  { name: 'Bartholomew Okafor', phone: '+14155550162', words: 'meditated beside the cherry tree' },
];
const ids: string[] = [];

describe('payload codec on the dev server', () => {
  it('stores neither numbers nor reply texts in histories; the codec endpoint decodes them', async () => {
    const post = sandboxInbound(c.app);
    for (const m of members) {
      const res = await c.app.request('/members', {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ name: m.name, phone: m.phone, timezone: 'UTC', checkInTime: '03:00' }),
      });
      expect(res.status).toBe(201);
      const { id } = (await res.json()) as { id: string };
      ids.push(id);
      await confirmMember(c.env.client, { id, phone: m.phone }, post, 60_000);
      expect(
        (await post({ MessageSid: newMessageSid(), From: m.phone, To: OUR_NUMBER, Body: m.words })).status,
      ).toBe(200);
    }
    for (const [i, m] of members.entries()) {
      // The reply reached the workflow: a sealed `reply` signal in its history.
      const stored = await waitFor(
        async () => {
          const ps = await storedPayloads(memberWorkflowId(ids[i]!));
          return (await decodeOverHttp(ps)).includes(m.words) && ps;
        },
        'the reply in the history',
        60_000,
      );
      const plain = payloadsText(stored);
      for (const other of members) {
        expect(plain).not.toContain(other.phone);
        expect(plain).not.toContain(other.words);
        expect(plain).not.toContain(other.name);
      }
      expect(plain).toContain('$sealed');
      const decoded = await decodeOverHttp(stored);
      expect(decoded).toContain(m.words);
      expect(decoded).not.toContain(members[1 - i]!.words);
    }
  }, 240_000);

  it('after shredSubject one member decodes to the tombstone, the other still decodes', async () => {
    expect(await shredSubject(c.database.db, `member:${ids[0]}`)).toBe(true);
    const gone = await decodeOverHttp(await storedPayloads(memberWorkflowId(ids[0]!)));
    expect(gone).not.toContain(members[0]!.words);
    expect(gone).toContain(JSON.stringify({ subject: `member:${ids[0]}`, erased: true }));
    const kept = await decodeOverHttp(await storedPayloads(memberWorkflowId(ids[1]!)));
    expect(kept).toContain(members[1]!.words);
  }, 60_000);

  it('refuses the codec endpoint without a key and answers the Web UI preflight from allowed origins only', async () => {
    const body = JSON.stringify({ payloads: [] });
    const none = await c.app.request('/codec/decode', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(none.status).toBe(401);
    const preflight = (origin: string) =>
      c.app.request('/codec/decode', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-namespace',
        },
      });
    const ok = await preflight('http://127.0.0.1:8233');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-namespace');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const evil = await preflight('https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const bad = await c.app.request('/codec/decode', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ payloads: [{ data: 'not base64!' }] }),
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('payloads');
  });
});
