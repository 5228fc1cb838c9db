/**
 * The mentor's briefing (`writeMentorBriefing`, the AI group) against a real Postgres and the fake OpenAI server:
 * built from the mentee's last 14 days of check-ins, streaks, goals and risk; nothing identifying reaches OpenAI
 * (no phone number, e-mail, name or surname, id); the reply is split into the SMS and the longer MORE version;
 * a reply that does not fit, an error or no client gives the template.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAiActivities } from '../../activities/ai/index.js';
import { checkIns, goals, members } from '../../db/schema.js';
import { countSegments } from '../../workflows/lib/segments.js';
import { addDays, localDate } from '../../workflows/lib/time.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { createTestDatabase } from '../helpers/db.js';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeOpenAI;
let ai: ReturnType<typeof createAiActivities>;
let offline: ReturnType<typeof createAiActivities>;

beforeAll(async () => {
  [database, fake] = await Promise.all([createTestDatabase(), startFakeOpenAI({ apiKey: 'test' })]);
  const client = new OpenAI({ apiKey: 'test', baseURL: fake.baseUrl, maxRetries: 0, timeout: 2_000 });
  ai = createAiActivities({ db: database.db, openai: client, model: 'gpt-4o-mini' });
  offline = createAiActivities({ db: database.db, openai: null, model: 'gpt-4o-mini' });
});
afterAll(async () => {
  await database?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

let seq = 0;
async function mentee() {
  const PHONE = `+1415555${String(199 + seq++).padStart(4, '0')}`;
  const id = crypto.randomUUID();
  await database.db.insert(members).values({
    id,
    name: 'Ana Lopez',
    phone: PHONE,
    timezone: 'America/New_York',
    checkInTime: '19:00',
    riskLevel: 'medium',
    currentStreak: 2,
    longestStreak: 6,
  });
  const today = localDate(Date.now(), 'America/New_York');
  const statuses = ['done', 'done', 'missed', 'done', 'not_done', 'done'] as const;
  await database.db.insert(checkIns).values(
    statuses.map((status, i) => ({
      memberId: id,
      localDate: addDays(today, -(i + 1)),
      status,
      reflection: i === 0 ? 'Lopez here, text me at +1 415 555 0199 or ana.lopez@example.com' : null,
      shareable: i === 0 ? true : null,
    })),
  );
  // A check-in older than 14 days is not part of the briefing.
  await database.db
    .insert(checkIns)
    .values({ memberId: id, localDate: addDays(today, -20), status: 'done', goalId: 1 });
  await database.db.insert(goals).values({
    memberId: id,
    goalId: 1,
    title: 'Run 5k with Lopez (ana.lopez@example.com)',
    cadence: { kind: 'daily' },
    createdOn: today,
  });
  return id;
}

describe('the mentor briefing', () => {
  it('sends OpenAI counts and quoted, redacted text only; returns the SMS and the longer version', async () => {
    const id = await mentee();
    fake.respondWith(
      () =>
        'Your mentee is back on track: ask what helped.\n---\nFour of six days done, streak 2 (best 6), risk medium. Ask about the 5k and what got in the way on the missed day.',
    );
    const b = await ai.writeMentorBriefing({
      menteeMemberId: id,
      session: 2,
      lastSession: { ratings: { mentor: 3, mentee: 4 } },
    });
    expect(b).toEqual({
      source: 'openai',
      prompt: 'mentor_briefing@1',
      text: 'Crewline: Your mentee is back on track: ask what helped.',
      more: 'Four of six days done, streak 2 (best 6), risk medium. Ask about the 5k and what got in the way on the missed day.',
      // The mentee's personal data: marked so the payload codec seals it with their key (README "Privacy").
      subject: `member:${id}`,
    });
    expect(countSegments(`${b.text} Reply MORE for more.`).segments).toBe(1);
    expect(fake.chatRequests).toHaveLength(1);
    const raw = fake.chatRequests[0]!.raw;
    expect(raw).not.toMatch(/\+?1?[\s(.-]*415[\s).-]*555[\s.-]*0199/);
    expect(raw).not.toMatch(/\+\d{8,15}/); // no E.164 number at all
    expect(raw).not.toMatch(/[\w.+-]+@[\w-]+\.[\w.]+/); // no e-mail address
    expect(raw).not.toMatch(/\bana\b|\blopez\b/i);
    expect(raw).not.toContain(id);
    expect(raw).toContain('Last 14 days: 4 done, 2 missed or not done, of 6 recorded.');
    expect(raw).toContain('Risk level: medium. Current streak: 2 days (longest 6).');
    expect(raw).toContain('rated 4 by the mentee and 3 by the mentor');
  });

  it('falls back to the template (first name only) without OpenAI, on errors and on a reply without two parts', async () => {
    const id = await mentee();
    const t = await offline.writeMentorBriefing({ menteeMemberId: id, session: 1, lastSession: null });
    expect(t).toMatchObject({
      source: 'template',
      prompt: 'mentor_briefing.template@1',
      text: 'Crewline: session in 2 h. Ana: 4/14 days done, streak 2, risk medium.',
    });
    expect(t.more).toContain('This is your first session together.');
    expect(t.more).toContain('Goals: Run 5k');
    expect(`${t.text} ${t.more}`).not.toContain('Lopez');
    expect(`${t.text} ${t.more}`).not.toContain('example.com');
    expect(countSegments(t.more).segments).toBeLessThanOrEqual(4);

    fake.failNext(1, 500);
    expect((await ai.writeMentorBriefing({ menteeMemberId: id, session: 1, lastSession: null })).source).toBe(
      'template',
    );
    fake.respondWith(() => 'Only one part, no separator.');
    expect((await ai.writeMentorBriefing({ menteeMemberId: id, session: 1, lastSession: null })).source).toBe(
      'template',
    );
  });
});
