/**
 * A payload about several people (README "Privacy": a crewmate's reflection in a pulse text, the mentee's
 * briefing sent to the mentor) is sealed under every one of their keys in layers (db/payload-codec.ts): it opens
 * whole while all keys live, and to the tombstone of the erased one as soon as ANY of them is gone. Layers cannot
 * be dropped, reordered or moved to another subject. An in-memory key store stands in for Postgres (the store
 * itself is tested in test/unit/codec.test.ts).
 */
import { ApplicationFailure, defaultPayloadConverter, type Payload } from '@temporalio/common';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAiActivities } from '../../activities/ai/index.js';
import { createMentorshipActivities } from '../../activities/mentorship.js';
import { createMessagingActivities, type SendSmsInput } from '../../activities/messaging.js';
import type { SmsProvider } from '../../activities/sms/provider.js';
import type { Db } from '../../db/client.js';
import { createSubjectCodec } from '../../db/payload-codec.js';
import type { SubjectKeyStore } from '../../db/subject-keys.js';
import { markedQuotingInput, markedSendInput } from '../../workflows/lib/outbound.js';
import { markedForAll, subjectIf, subjectOf, unmarked, type Subject } from '../../workflows/lib/subject.js';
import { memoryKeys } from '../helpers/memory-keys.js';

const recipient = subjectOf('member', '2f6b0c1e-4a57-4f0e-9d3a-8f1b2c3d4e5f');
const author = subjectOf('member', '7a1d2e3f-0b4c-4d5e-8f6a-1b2c3d4e5f60');
const third = subjectOf('member', 'c0ffee00-1111-4222-8333-944445555666');

const text = (p: Payload) => Buffer.from(p.data!).toString('utf8');
const open = async (keys: SubjectKeyStore, p: Payload) =>
  defaultPayloadConverter.fromPayload<unknown>((await createSubjectCodec(keys).decode([p]))[0]!);
async function seal(keys: SubjectKeyStore, value: unknown): Promise<Payload> {
  const [p] = await createSubjectCodec(keys).encode([defaultPayloadConverter.toPayload(value)]);
  return p!;
}
const envelope = (p: Payload) => (JSON.parse(text(p)) as { $sealed: Record<string, unknown> }).$sealed;
const withEnvelope = (p: Payload, e: Record<string, unknown>): Payload => ({
  ...p,
  data: Buffer.from(JSON.stringify({ $sealed: e })),
});

describe('sealed under several subjects', () => {
  it('a text quoting its author: readable with both keys, the tombstone of whichever is erased', async () => {
    const keys = memoryKeys();
    const input = markedQuotingInput(
      {
        idempotencyKey: 'crew-challenge:c1:pulse:3:member:r',
        to: { memberId: recipient.slice('member:'.length) },
        kind: 'crew_pulse',
        purpose: 'transactional',
        body: 'Day 3: 4 of 5 did it. A crewmate wrote: "rowed past the heron colony"',
      },
      [author],
    );
    const stored = await seal(keys, input);
    expect(text(stored)).not.toContain('heron');
    expect(envelope(stored)).toMatchObject({ s: recipient, w: [{ s: author }] });
    expect(await open(keys, stored)).toEqual({ ...input, subject: recipient, alsoAbout: [author] });
    expect(unmarked(input)).not.toHaveProperty('subject');

    expect(await open(keys.without(author), stored)).toEqual({ subject: author, erased: true });
    expect(await open(keys.without(recipient), stored)).toEqual({ subject: recipient, erased: true });
    // Stored after one of them was erased: only that tombstone is kept.
    const late = await seal(keys.without(author), input);
    expect(text(late)).not.toContain('heron');
    expect(await open(keys, late)).toEqual({ subject: author, erased: true });
  });

  it('a text to its own subject only keeps the single-key envelope (no layers)', async () => {
    const keys = memoryKeys();
    const stored = await seal(
      keys,
      markedSendInput({
        idempotencyKey: 'k',
        to: { memberId: recipient.slice('member:'.length) },
        kind: 'x',
        purpose: 'transactional',
        body: 'just for you',
      }),
    );
    expect(envelope(stored)).not.toHaveProperty('w');
    expect(await open(keys, stored)).toMatchObject({ body: 'just for you', subject: recipient });
  });

  it('round trip for any JSON and any 1–3 subjects; hiding any one subject gives its tombstone', async () => {
    const keys = memoryKeys();
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue(),
        fc.uniqueArray(fc.constantFrom(recipient, author, third), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        async (data, subjects, pick) => {
          const marked = markedForAll(subjects, { data, around: 'readable' });
          const stored = await seal(keys, { id: 'structure', part: marked });
          expect(text(stored)).toContain('"id":"structure"');
          const expected = JSON.parse(JSON.stringify({ id: 'structure', part: marked })) as unknown;
          expect(await open(keys, stored)).toEqual(expected);
          const gone = subjects[pick % subjects.length]!;
          expect(await open(keys.without(gone), stored)).toEqual({
            id: 'structure',
            part: { subject: gone, erased: true },
          });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('a layer dropped, reordered or moved to another subject fails to open', async () => {
    const keys = memoryKeys();
    const stored = await seal(keys, markedForAll([recipient, author, third], { words: 'private' }));
    const e = envelope(stored);
    const w = e.w as Array<{ s: string; k: string; n: string }>;
    const dropped = withEnvelope(stored, { ...e, w: w.slice(0, 1) });
    await expect(open(keys, dropped)).rejects.toThrow();
    const reordered = withEnvelope(stored, { ...e, w: [w[1], w[0]] });
    await expect(open(keys, reordered)).rejects.toThrow();
    // The author's layer relabelled with the third subject's key: the key belongs to another subject.
    const moved = withEnvelope(stored, { ...e, w: [{ ...w[0]!, k: w[1]!.k }, w[1]] });
    await expect(open(keys, moved)).rejects.toThrow();
    expect(await open(keys, stored)).toMatchObject({ words: 'private' });
  });

  it('marking never throws: invalid ids are left out, duplicates named once, nothing valid leaves it unmarked', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string(), fc.uuid())), (ids) => {
        const subjects = ids.map((id) => subjectIf('member', id));
        const out = markedForAll(subjects, { x: 1 }) as { subject?: Subject; alsoAbout?: Subject[] };
        const valid = [...new Set(subjects.filter((s): s is Subject => s !== null))];
        if (valid.length === 0) expect(out).toEqual({ x: 1 });
        else {
          expect(out.subject).toBe(valid[0]);
          expect(out.alsoAbout ?? []).toEqual(valid.slice(1));
        }
      }),
    );
  });

  it('an activity input that opened to a tombstone (a person erased while it waited) is never acted on or retried', async () => {
    // Nothing may be touched: a database or provider call would throw.
    const untouchable = new Proxy({}, { get: () => () => Promise.reject(new Error('touched')) });
    const tombstone = { subject: author, erased: true };
    const { sendSms } = createMessagingActivities({
      db: untouchable as Db,
      sms: untouchable as SmsProvider,
    });
    const refused = await sendSms(tombstone as unknown as SendSmsInput).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApplicationFailure);
    expect(refused).toMatchObject({ type: 'subject_erased', nonRetryable: true });
    const mx = createMentorshipActivities({ db: untouchable as Db });
    await expect(mx.setMatchStatus(tombstone as never)).resolves.toBeUndefined();
    const ai = createAiActivities({ db: untouchable as Db, openai: null, model: 'none' });
    expect(await ai.writeMentorBriefing(tombstone as never)).toEqual({
      source: 'template',
      prompt: 'mentor_briefing.template@1',
      text: 'Crewline: session in 2 h.',
      more: '',
    });
  });
});
