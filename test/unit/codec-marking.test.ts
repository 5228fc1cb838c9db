/**
 * The marking of personal payloads (README "Privacy"): what our code hands to Temporal is sealed by the codec —
 * the member's continue-as-new state (replies not yet handled, goal titles), a crew answer with its reflection,
 * a one-off text's start input — and after the subject's key is gone it opens to the tombstone while another
 * subject's payload in the same history still opens. An in-memory key store stands in for Postgres (the store
 * itself is tested in test/unit/codec.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { createSubjectCodec } from '../../db/payload-codec.js';
import type { DataKey, SubjectKeyStore } from '../../db/subject-keys.js';
import { markedSendInput } from '../../workflows/lib/outbound.js';
import { aboutSubject, subjectOf } from '../../workflows/lib/subject.js';
import { initialState, markedState } from '../../workflows/member/state.js';

function memoryKeys(): SubjectKeyStore & { destroy(subject: string): void } {
  const bySubject = new Map<string, DataKey | null>();
  const byId = new Map<string, DataKey>();
  return {
    async keyForSubject(subject) {
      if (bySubject.get(subject) === null) return null;
      let k = bySubject.get(subject);
      if (!k) {
        k = { subject, keyId: randomBytes(8).toString('hex'), key: randomBytes(32) };
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
  };
}

const memberId = '2f6b0c1e-4a57-4f0e-9d3a-8f1b2c3d4e5f';
const otherId = '7a1d2e3f-0b4c-4d5e-8f6a-1b2c3d4e5f60';

function stateWithPersonalData(id: string, words: string, goal: string) {
  const state = initialState({ memberId: id, timezone: 'UTC', checkInTime: '09:00' }, Date.UTC(2026, 10, 30));
  state.pendingReplies.push({ inboundId: 7, body: words, receivedAtMs: 1 });
  state.goals.push({ id: 1, title: goal } as never);
  return state;
}

async function roundTrip(keys: ReturnType<typeof memoryKeys>, value: unknown) {
  const codec = createSubjectCodec(keys);
  const [stored] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
  const storedText = Buffer.from(stored!.data!).toString('utf8');
  const open = async () => defaultPayloadConverter.fromPayload<unknown>((await codec.decode([stored!]))[0]!);
  return { storedText, open };
}

describe('personal payloads are marked and sealed', () => {
  it("the member's continue-as-new input: replies and goal titles sealed; opens whole; tombstone once erased, the other member still opens", async () => {
    const keys = memoryKeys();
    const mine = stateWithPersonalData(memberId, 'cried in the car after work', 'Call my sister Marisol');
    const theirs = stateWithPersonalData(otherId, 'ran by the canal', 'Learn Portuguese');
    const a = await roundTrip(keys, {
      memberId,
      timezone: 'UTC',
      checkInTime: '09:00',
      state: markedState(memberId, mine),
    });
    const b = await roundTrip(keys, { memberId: otherId, state: markedState(otherId, theirs) });
    for (const secret of ['cried in the car', 'Marisol']) expect(a.storedText).not.toContain(secret);
    expect(a.storedText).toContain('$sealed');
    expect(a.storedText).toContain(memberId); // structure stays readable: ids
    expect(((await a.open()) as { state: unknown }).state).toEqual({
      ...mine,
      subject: `member:${memberId}`,
    });

    keys.destroy(`member:${memberId}`);
    expect(((await a.open()) as { state: unknown }).state).toEqual({
      subject: `member:${memberId}`,
      erased: true,
    });
    expect(JSON.stringify(await b.open())).toContain('ran by the canal');
  });

  it('an unmarked state stays plaintext (what the committed histories hold): the marking is what seals', async () => {
    const { storedText } = await roundTrip(memoryKeys(), {
      memberId,
      state: stateWithPersonalData(memberId, 'cried in the car after work', 'Call my sister Marisol'),
    });
    expect(storedText).toContain('cried in the car after work');
  });

  it('a crew answer with its reflection and a one-off text are sealed with their subject', async () => {
    const keys = memoryKeys();
    const answer = await roundTrip(
      keys,
      aboutSubject(subjectOf('member', memberId), {
        memberId,
        localDate: '2026-11-30',
        done: true,
        reflection: 'rowed past the heron colony',
      }),
    );
    expect(answer.storedText).not.toContain('heron');
    const text = await roundTrip(
      keys,
      markedSendInput({
        idempotencyKey: 'signin:1',
        to: { memberId },
        kind: 'sign_in_code',
        purpose: 'transactional',
        body: 'Your sign-in code is 482913',
      }),
    );
    expect(text.storedText).not.toContain('482913');
    keys.destroy(`member:${memberId}`);
    expect(await answer.open()).toEqual({ subject: `member:${memberId}`, erased: true });
    expect(await text.open()).toEqual({ subject: `member:${memberId}`, erased: true });
  });
});
