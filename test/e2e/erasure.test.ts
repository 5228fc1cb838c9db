/**
 * Erasure end to end on the real dev server (README "Privacy", issue 12's first test): a member who replied by
 * SMS, answered a crew challenge with a reflection and texted STOP, and another member. The export is taken
 * first and kept; then `DELETE /members/{id}` and the durable erasure runs to its end. Afterwards every
 * workflow in the namespace (the member's own, the crew challenge, the keyword workflows, the erasure itself:
 * the test's dev server holds nothing else), its raw history decoded through the HTTP codec endpoint, contains
 * none of their phone number, name, reply texts, reflection or the texts sent only to them; the other member's
 * payloads still decode to their words; the number stays suppressed; and the export taken before held every one
 * of those items.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { consentState } from '../../db/consent.js';
import { insertMember } from '../../db/members.js';
import { erasures, messages } from '../../db/schema.js';
import { memberWorkflowId } from '../../workflows/ids.js';
import { json, jsonCalls } from '../helpers/app.js';
import { codecDevStack, payloadsText } from '../helpers/codec-stack.js';
import { confirmMember, newMessageSid, OUR_NUMBER, sandboxInbound } from '../helpers/members.js';
import { waitFor } from '../helpers/temporal.js';
import { noonZone } from '../helpers/zones.js';

const c = codecDevStack({ auth: { tokenSecret: 'erasure-e2e-secret-0123456789abcdefghijkl' } });
const { storedPayloads, decodeOverHttp } = c;

/** Every run of every workflow on this test's own dev server, with its history decoded through /codec/decode. */
async function everyHistoryDecoded(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const w of c.raw.workflow.list()) {
    const ps = await storedPayloads(w.workflowId, w.runId);
    out.set(`${w.workflowId}/${w.runId}`, `${payloadsText(ps)}\n${await decodeOverHttp(ps)}`);
  }
  return out;
}

const call = jsonCalls(() => c.app);

const erased = {
  name: 'Philippa Vandermeulen',
  phone: '+14155550171',
  replies: ['swam laps under the old viaduct', 'baked sourdough with my grandmother'],
  reflection: 'rowed past the heron colony at dawn',
};
const kept = { name: 'Ignatius Mbeki-Laurent', phone: '+14155550172', words: 'sketched the harbour cranes' };

describe('erasure end to end on the dev server', () => {
  it('leaves nothing of theirs readable in any history; the other member still decodes; STOP survives; the export had it all', async () => {
    const db = c.database.db;
    const post = sandboxInbound(c.app);
    // Everyone in a zone around noon now: no text waits for a local window (the campaign's 08:00–21:00, the
    // crew's), whenever the test runs.
    const zone = noonZone();
    const ids: Record<'erased' | 'kept', string> = { erased: '', kept: '' };
    for (const [who, m] of [
      ['erased', erased],
      ['kept', kept],
    ] as const) {
      const res = await call<{ id: string }>('POST', '/members', {
        name: m.name,
        phone: m.phone,
        timezone: zone,
        checkInTime: '03:00',
      });
      expect(res.status).toBe(201);
      ids[who] = res.body.id;
      await confirmMember(c.env.client, { id: res.body.id, phone: m.phone }, post, 90_000);
    }
    const texts = [
      ...erased.replies.map((words) => ({ phone: erased.phone, words })),
      { phone: kept.phone, words: kept.words },
    ];
    for (const t of texts)
      expect(
        (await post({ MessageSid: newMessageSid(), From: t.phone, To: OUR_NUMBER, Body: t.words })).status,
      ).toBe(200);

    // Every reply reached its member's workflow, decoded through the codec (before the campaign texts them:
    // a reply to a campaign's text is the campaign's).
    for (const t of texts)
      await waitFor(
        async () =>
          (
            await decodeOverHttp(
              await storedPayloads(memberWorkflowId(t.phone === erased.phone ? ids.erased : ids.kept)),
            )
          ).includes(t.words),
        'the reply in a history',
        90_000,
      );
    // A guest campaign that texts both numbers (each text names its guest).
    const list = await call<{ id: string }>('POST', '/guest-lists', { name: 'Harbour gala' });
    const guestConsent = { source: 'web form', at: '2026-11-01T10:00:00Z', text: 'Text me about the gala' };
    const imported = await call<{ imported: number }>('POST', `/guest-lists/${list.body.id}/guests`, {
      guests: [erased, kept].map((m) => ({
        phone: m.phone,
        name: m.name,
        timezone: zone,
        consent: guestConsent,
      })),
    });
    expect(imported.body.imported).toBe(2);
    const campaign = await call<{ id: string }>('POST', '/campaigns', {
      listId: list.body.id,
      name: 'Gala',
      template: 'The gala doors open at 7, {{name}}',
    });
    expect(campaign.status).toBe(201);
    expect((await call('POST', `/campaigns/${campaign.body.id}/start`, {})).status).toBe(202);
    await waitFor(
      async () =>
        (await call<{ byState: Record<string, number> }>('GET', `/campaigns/${campaign.body.id}/progress`))
          .body.byState.sent === 2,
      'the campaign texts sent',
      90_000,
    );

    // A crew challenge with their answer and reflection (the other crew members have no workflow of their own).
    const consent = { pulses: true, reflections: true };
    const others: string[] = [];
    for (let i = 0; i < 4; i++) {
      const id = randomUUID();
      await insertMember(db, {
        id,
        name: 'Crewmate',
        phone: `+1415555018${i}`,
        timezone: zone,
        checkInTime: '19:00',
        status: 'active',
      });
      others.push(id);
    }
    const crew = await call<{ id: string }>('POST', '/crews', {
      name: 'Harbour rowers',
      purpose: 'row',
      maxSize: 10,
      joinable: true,
      timezone: zone,
      organiserMemberId: ids.erased,
      consent,
    });
    expect(crew.status).toBe(201);
    for (const id of others)
      expect((await call('POST', `/crews/${crew.body.id}/members`, { memberId: id, consent })).status).toBe(
        201,
      );
    const today = new Date().toLocaleDateString('en-CA', { timeZone: zone });
    const challenge = await call<{ challengeId: string }>('POST', `/crews/${crew.body.id}/challenges`, {
      title: 'Row',
      days: 14,
      startDate: today,
      minSize: 5,
    });
    expect(challenge.status).toBe(201);
    const path = `/challenges/${challenge.body.challengeId}`;
    await waitFor(
      async () => (await call<{ status: string }>('GET', path)).body.status === 'active',
      'the challenge active',
      90_000,
    );
    const answer = await call('POST', `${path}/answers`, {
      memberId: ids.erased,
      localDate: today,
      done: true,
      energy: 4,
      reflection: erased.reflection,
    });
    expect(answer.status).toBe(200);

    // A mentorship match with them as the mentee (the mentor accepts by API).
    const mentorMemberId = randomUUID();
    await insertMember(db, {
      id: mentorMemberId,
      name: 'Mentor',
      phone: '+14155550190',
      timezone: zone,
      checkInTime: '19:00',
      status: 'active',
    });
    const mentor = await call<{ id: string }>('POST', '/mentors', {
      memberId: mentorMemberId,
      expertise: ['fitness'],
      languages: ['en'],
      availability: [{ weekday: 2, from: '18:00', to: '20:00' }],
      capacity: 1,
    });
    expect(mentor.status).toBe(201);
    const match = await call<{ matchId: string }>('POST', '/mentorship/matches', {
      menteeMemberId: ids.erased,
      focusAreas: ['fitness'],
      languages: ['en'],
    });
    expect(match.status).toBe(201);
    const matchPath = `/mentorship/matches/${match.body.matchId}`;
    await waitFor(
      async () => (await call<{ status: string }>('GET', matchPath)).body.status === 'offered',
      'the offer',
      90_000,
    );
    expect(
      (await call('POST', `${matchPath}/answer`, { mentorId: mentor.body.id, accept: true })).status,
    ).toBe(200);
    await waitFor(
      async () => (await call<{ status: string }>('GET', matchPath)).body.status === 'active',
      'the match active',
      90_000,
    );

    // A sign-in code: a text only they were sent (a `messageWorkflow`).
    expect((await call('POST', '/auth/otp', { phone: erased.phone })).status).toBe(202);
    await waitFor(
      async () =>
        (await db.select().from(messages).where(eq(messages.toPhone, erased.phone))).some(
          (m) => m.kind === 'sign_in_code' && m.status !== 'pending' && m.status !== 'sending',
        ),
      'the sign-in code sent',
      60_000,
    );
    // Last, they text STOP: the number is suppressed.
    expect(
      (await post({ MessageSid: newMessageSid(), From: erased.phone, To: OUR_NUMBER, Body: 'STOP' })).status,
    ).toBe(200);
    await waitFor(async () => (await consentState(db, erased.phone)).optedOut, 'STOP recorded', 60_000);

    // The texts sent only to them (a text every member gets verbatim is not theirs).
    const sent = await db.select().from(messages);
    const othersBodies = new Set(sent.filter((m) => m.toPhone !== erased.phone).map((m) => m.body));
    const theirBodies = sent
      .filter((m) => m.toPhone === erased.phone && !othersBodies.has(m.body))
      .map((m) => m.body);
    expect(theirBodies.length).toBeGreaterThan(0);

    // The export, taken before the erasure and kept.
    const exportRes = await c.app.request('/privacy/exports', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ memberId: ids.erased }),
    });
    expect(exportRes.status).toBe(200);
    const exported = await exportRes.text();
    const exportDoc = JSON.parse(exported) as { workflows: Array<{ workflowId: string }> };

    // Before the erasure the codec opens all of it: the search below would find each item.
    const before = [...(await everyHistoryDecoded()).values()].join('\n');
    // (A campaign's texts are rendered inside its send activity: their bodies never enter a history at all.)
    const signInBody = sent.find((m) => m.toPhone === erased.phone && m.kind === 'sign_in_code')!.body;
    for (const s of [...erased.replies, erased.reflection, signInBody]) expect(before).toContain(s);

    const res = await call('DELETE', `/members/${ids.erased}`);
    expect(res.status).toBe(204);
    await waitFor(
      async () => (await db.select().from(erasures).where(eq(erasures.id, ids.erased)))[0]?.status === 'done',
      'the erasure done',
      120_000,
    );

    const histories = await everyHistoryDecoded();
    // The workflows that held them, as the export named them, are all among those searched.
    const searched = [...histories.keys()].map((k) => k.split('/')[0]);
    expect(exportDoc.workflows.length).toBeGreaterThan(0);
    for (const w of exportDoc.workflows) expect(searched).toContain(w.workflowId);
    expect(searched).toContain(memberWorkflowId(ids.erased));
    expect(searched).toContain(`mentorship-match-${match.body.matchId}`);

    const theirs = [
      erased.phone,
      erased.phone.slice(1),
      erased.name,
      ...erased.replies,
      erased.reflection,
      ...theirBodies,
    ];
    for (const [workflow, h] of histories) {
      const found = theirs.filter((s) => h.includes(s));
      if (found.length && process.env.ERASURE_DEBUG)
        for (const s of found)
          console.log(workflow, h.slice(Math.max(0, h.indexOf(s) - 400), h.indexOf(s) + 200));
      expect({ workflow, found }).toEqual({ workflow, found: [] });
    }
    // Their sealed parts now decode to the tombstone.
    expect(
      histories.get([...histories.keys()].find((k) => k.startsWith(`${memberWorkflowId(ids.erased)}/`))!),
    ).toContain(JSON.stringify({ subject: `member:${ids.erased}`, erased: true }));
    // The other member's payloads still decode to their real words.
    const keptHistory = [...histories.values()].join('\n');
    expect(keptHistory).toContain(kept.words);

    // STOP survives erasure: the number stays suppressed for the send gate.
    expect(await consentState(db, erased.phone)).toMatchObject({ optedOut: true, transactional: false });

    // The export taken before held every item the erasure removed.
    for (const s of [erased.phone, erased.name, ...erased.replies, erased.reflection, ...theirBodies])
      expect(exported).toContain(JSON.stringify(s).slice(1, -1));
  }, 600_000);
});
