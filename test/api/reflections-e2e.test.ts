/**
 * Crew reflections through the real stack (API, worker, Postgres, time-skipping server): an answer posted with a
 * reflection by a member who consented is stored redacted and readable by the crew; one by a member who did
 * not consent is stored nowhere; a held one is seen by its author only.
 */
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { insertMember } from '../../db/members.js';
import { crewReflections } from '../../db/schema.js';
import { jsonCalls } from '../helpers/app.js';
import { stackWithApp } from '../helpers/stack.js';
import { waitFor } from '../helpers/temporal.js';

const t = stackWithApp();
let seq = 0;

const call = jsonCalls(() => t.app);

async function member(name: string) {
  const id = randomUUID();
  await insertMember(t.database.db, {
    id,
    name,
    phone: `+1646557${String(4000 + seq++)}`,
    timezone: 'UTC',
    checkInTime: '19:00',
    status: 'active',
  });
  return id;
}

it('an answer with a reflection: stored redacted with consent, nowhere without; held ones seen by the author only', async () => {
  const org = await member('Kim Lee');
  const crew = (
    await call<{ id: string }>('POST', '/crews', {
      name: 'Walkers',
      purpose: 'walk',
      maxSize: 10,
      joinable: true,
      timezone: 'UTC',
      organiserMemberId: org,
      consent: { pulses: true, reflections: true },
    })
  ).body;
  const quiet = await member('Amara Okafor');
  const sharer = await member('Jo Park');
  await call('POST', `/crews/${crew.id}/members`, {
    memberId: quiet,
    consent: { pulses: true, reflections: false },
  });
  await call('POST', `/crews/${crew.id}/members`, {
    memberId: sharer,
    consent: { pulses: true, reflections: true },
  });
  const today = new Date(await t.env.currentTimeMs()).toISOString().slice(0, 10);
  const created = await call<{ challengeId: string }>('POST', `/crews/${crew.id}/challenges`, {
    title: 'Walks',
    days: 2,
    startDate: today,
    minSize: 3,
  });
  const path = `/challenges/${created.body.challengeId}`;
  await waitFor(
    async () => (await call<{ status: string }>('GET', path)).body.status === 'active',
    'the start',
  );
  const answer = (memberId: string, reflection: string) =>
    call('POST', `${path}/answers`, { memberId, localDate: today, done: true, energy: 4, reflection });
  expect((await answer(org, 'Walked with Amara, text me on +44 7700 900123')).status).toBe(200);
  expect((await answer(quiet, 'secret thoughts')).status).toBe(200);
  expect((await answer(sharer, 'I hate hills')).status).toBe(200);

  const rows = await t.database.db
    .select()
    .from(crewReflections)
    .where(eq(crewReflections.challengeId, created.body.challengeId));
  expect(rows.map((r) => [r.memberId, r.text, r.status]).sort()).toEqual(
    [
      [org, 'Walked with [name], text me on [phone]', 'shared'],
      [sharer, 'I hate hills', 'pending_review'],
    ].sort(),
  );
  type List = { reflections: Array<{ memberId: string; text: string; status: string }> };
  const crewView = (await call<List>('GET', `${path}/reflections?memberId=${quiet}`)).body.reflections;
  expect(crewView.map((r) => r.text)).toEqual(['Walked with [name], text me on [phone]']);
  const authorView = (await call<List>('GET', `${path}/reflections?memberId=${sharer}`)).body.reflections;
  expect(authorView.map((r) => r.status).sort()).toEqual(['pending_review', 'shared']);
});
