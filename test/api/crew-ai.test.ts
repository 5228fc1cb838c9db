/**
 * The crew's AI texts (issue 9) with the real openai SDK against the fake OpenAI server and a real Postgres:
 * the weekly challenge and the end summary's narrative in the crew's tone. No phone number, e-mail, crew name or
 * member name reaches OpenAI (even when the title holds them); the organiser's daily budget pays; without a key
 * (or with a narrative that invents a number) the tone's template is used.
 */
import { and, eq } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAiActivities, TONES, type CrewSummaryFigures } from '../../activities/ai/index.js';
import { CREW_TEMPLATE_REFS, crewNarrativeTemplate, crewWeeklyTemplate } from '../../activities/ai/crew.js';
import { createCrew, joinCrew } from '../../db/crews.js';
import { aiUsage, members } from '../../db/schema.js';
import { countSegments } from '../../workflows/lib/segments.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { createTestDatabase } from '../helpers/db.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeOpenAI;
let ai: ReturnType<typeof createAiActivities>;
let offline: ReturnType<typeof createAiActivities>;
let seq = 0;

beforeAll(async () => {
  [database, fake] = await Promise.all([createTestDatabase(), startFakeOpenAI({ apiKey: 'test' })]);
  const client = new OpenAI({ apiKey: 'test', baseURL: fake.baseUrl, maxRetries: 0, timeout: 2_000 });
  ai = createAiActivities({ db: database.db, openai: client, model: 'gpt-4o-mini' });
  offline = createAiActivities({ db: database.db, openai: null, model: 'gpt-4o-mini' });
}, 120_000);
afterAll(async () => {
  await database?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

async function newMember(name: string) {
  const id = crypto.randomUUID();
  const phone = `+1415556${String(1000 + seq++).padStart(4, '0')}`;
  await database.db
    .insert(members)
    .values({ id, name, phone, timezone: 'Europe/London', checkInTime: '19:00' });
  return { id, name, phone };
}

/** A crew "Riverside Ramblers" organised by Ottilie Quarrington, joined by Zebulon Marchetti. */
async function newCrew() {
  const organiser = await newMember('Ottilie Quarrington');
  const other = await newMember('Zebulon Marchetti');
  const created = await createCrew(database.db, {
    name: 'Riverside Ramblers',
    purpose: 'walk daily',
    maxSize: 10,
    joinable: true,
    timezone: 'Europe/London',
    pulseK: 5,
    tone: 'calm',
    organiserMemberId: organiser.id,
    consent: { pulses: true, reflections: false },
    evidence: { via: 'api' },
  });
  if ('outcome' in created) throw new Error('no crew');
  const joined = await joinCrew(database.db, {
    crewId: created.crew.id,
    memberId: other.id,
    consent: { pulses: true, reflections: false },
    evidence: { via: 'api' },
  });
  expect(joined.outcome).toBe('joined');
  return { crewId: created.crew.id, organiser, other };
}

const figures: CrewSummaryFigures = {
  days: 30,
  done: 187,
  atLeast: true,
  publishedDays: 26,
  milestones: 3,
  goal: { total: 212, target: 200, unit: 'km', reached: true },
};

/** Everything the fake OpenAI received, as one string. */
const allSent = () => fake.requests.map((r) => r.raw).join('\n');

describe('crew weekly challenge through the AI layer', () => {
  it('sends no phone, e-mail, crew or member name; words it in the tone; the organiser pays', async () => {
    const { crewId, organiser, other } = await newCrew();
    fake.respondWith(() => 'Take one slow, quiet walk after dinner this week and notice the sky.');
    const title = `Walks with Zebulon Marchetti (call +44 7700 900123, ottilie@example.org)`;
    const res = await ai.writeCrewWeeklyChallenge({ crewId, tone: 'calm', title, week: 2, weeks: 4 });
    expect(res).toEqual({
      source: 'openai',
      prompt: 'crew_weekly_challenge@1',
      text: 'Take one slow, quiet walk after dinner this week and notice the sky.',
    });
    expect(fake.chatRequests).toHaveLength(1);
    const sent = allSent();
    for (const secret of [
      '+44 7700 900123',
      '7700 900123',
      'ottilie@example.org',
      organiser.phone,
      other.phone,
      'Zebulon',
      'Marchetti',
      'Ottilie',
      'Quarrington',
      'Riverside',
      'Ramblers',
    ])
      expect(sent).not.toContain(secret);
    expect(sent).not.toMatch(/\+\d{8,}/u);
    const user = fake.chatRequests[0]!.body.messages.find((m: { role: string }) => m.role === 'user').content;
    expect(user).toContain('calm: gentle');
    expect(user).toContain('week 2 of 4');
    const [usage] = await database.db
      .select()
      .from(aiUsage)
      .where(and(eq(aiUsage.memberId, organiser.id)));
    expect(usage?.requests).toBe(1);
  });

  it('uses the tone template without a key, and for a crew that does not exist', async () => {
    const { crewId } = await newCrew();
    for (const tone of TONES) {
      const res = await offline.writeCrewWeeklyChallenge({ crewId, tone, title: 'Walk', week: 3, weeks: 4 });
      expect(res).toEqual({
        source: 'template',
        prompt: CREW_TEMPLATE_REFS.weekly,
        text: crewWeeklyTemplate(tone, 3),
      });
    }
    const gone = await ai.writeCrewWeeklyChallenge({
      crewId: crypto.randomUUID(),
      tone: 'friendly',
      title: 'Walk',
      week: 1,
      weeks: 1,
    });
    expect(gone.source).toBe('template');
    expect(fake.chatRequests).toHaveLength(0);
    // Each tone has its own texts, and they differ from week to week.
    expect(new Set(TONES.map((t) => crewWeeklyTemplate(t, 1))).size).toBe(TONES.length);
    expect(crewWeeklyTemplate('friendly', 1)).not.toBe(crewWeeklyTemplate('friendly', 2));
  });
});

describe('crew summary narrative through the AI layer', () => {
  it('words the given figures in the tone; names and numbers of people never leave', async () => {
    const { crewId } = await newCrew();
    fake.respondWith(() => 'Together you logged 187 check-ins and passed 200 km. Keep walking, gently.');
    const res = await ai.writeCrewSummaryNarrative({
      crewId,
      tone: 'tough_love',
      title: 'Zebulon walks',
      figures,
    });
    expect(res).toEqual({
      source: 'openai',
      prompt: 'crew_summary_narrative@1',
      text: 'Together you logged 187 check-ins and passed 200 km. Keep walking, gently.',
    });
    expect(countSegments(res.text).segments).toBe(1);
    const user = fake.chatRequests[0]!.body.messages.find((m: { role: string }) => m.role === 'user').content;
    expect(user).toContain('tough love');
    expect(user).toContain('Check-ins done: at least 187');
    expect(user).toContain('Group goal: 212 of 200 km (reached)');
    expect(allSent()).not.toContain('Zebulon');
    expect(allSent()).not.toContain('Riverside');
  });

  it('falls back to the template when the model invents a number, errs, or there is no key', async () => {
    const { crewId } = await newCrew();
    fake.respondWith(() => 'You did 250 check-ins, amazing!');
    const invented = await ai.writeCrewSummaryNarrative({ crewId, tone: 'friendly', title: 'Walk', figures });
    expect(invented).toEqual({
      source: 'template',
      prompt: CREW_TEMPLATE_REFS.narrative,
      text: crewNarrativeTemplate('friendly', figures),
    });
    fake.failNext(1, 500);
    const failed = await ai.writeCrewSummaryNarrative({ crewId, tone: 'calm', title: 'Walk', figures });
    expect(failed.source).toBe('template');
    const none = await offline.writeCrewSummaryNarrative({ crewId, tone: 'calm', title: 'Walk', figures });
    expect(none).toEqual({
      source: 'template',
      prompt: CREW_TEMPLATE_REFS.narrative,
      text: crewNarrativeTemplate('calm', figures),
    });
    expect(crewNarrativeTemplate('calm', figures)).toContain('reached your group goal');
    expect(crewNarrativeTemplate('calm', { ...figures, goal: null })).not.toContain('goal');
  });
});
