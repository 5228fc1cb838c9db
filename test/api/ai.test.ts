/**
 * The AI activities with the real openai SDK against the fake OpenAI server and a real Postgres: structured
 * output, SMS budgets, template fallbacks (no key, 5xx, timeout, invalid JSON), redaction of every request,
 * the per-member daily cost budget and fail-closed moderation.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { and, eq } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createAiActivities,
  TONES,
  type Plan,
  type RecentCheckIn,
  type Tone,
  type WeeklySummaryInput,
  type WriteMotivationInput,
} from '../../activities/ai/index.js';
import { costMicroUsd } from '../../activities/ai/usage.js';
import { aiUsage, members } from '../../db/schema.js';
import { countSegments, smsEncoding } from '../../workflows/lib/segments.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { createTestDatabase } from '../helpers/db.js';

const MODEL = 'gpt-4o-mini';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeOpenAI;
let client: OpenAI;
let ai: ReturnType<typeof createAiActivities>;
let offline: ReturnType<typeof createAiActivities>;
let seq = 0;

beforeAll(async () => {
  [database, fake] = await Promise.all([createTestDatabase(), startFakeOpenAI({ apiKey: 'test' })]);
  client = new OpenAI({ apiKey: 'test', baseURL: fake.baseUrl, maxRetries: 0, timeout: 500 });
  ai = createAiActivities({ db: database.db, openai: client, model: MODEL });
  offline = createAiActivities({ db: database.db, openai: null, model: MODEL });
});
afterAll(async () => {
  await database?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

async function newMember(name = 'Ana') {
  const id = crypto.randomUUID();
  const phone = `+1415555${String(1000 + seq++).padStart(4, '0')}`;
  await database.db
    .insert(members)
    .values({ id, name, phone, timezone: 'America/New_York', checkInTime: '19:00' });
  return { id, name, phone };
}

const PLAN: Plan = {
  milestones: ['Week 1: run 3 times', 'Week 2: run 4 times', 'Week 3: add a longer run'],
  dailyHabits: ['Lay out shoes the night before', 'Run right after work'],
  weeklyTarget: 'Four runs this week.',
};

const recent: RecentCheckIn[] = [
  { localDate: '2026-11-20', status: 'done', reflection: 'felt strong' },
  { localDate: '2026-11-21', status: 'done', reflection: null },
  { localDate: '2026-11-22', status: 'done' },
];
const motivationInput = (memberId: string, tone: Tone = 'friendly'): WriteMotivationInput => ({
  memberId,
  memberName: 'Ana',
  tone,
  streak: 3,
  recent,
});
const summaryInput = (memberId: string, tone: Tone = 'friendly'): WeeklySummaryInput => ({
  memberId,
  memberName: 'Ana',
  tone,
  weekStart: '2026-11-16',
  adherence7: 5 / 7,
  done: 5,
  due: 7,
  currentStreak: 3,
  longestStreak: 9,
});
const planInput = (memberId: string, tone: Tone = 'friendly') => ({
  memberId,
  memberName: 'Ana',
  goal: { title: 'run', cadence: { kind: 'times_per_week' as const, times: 3 } },
  tone,
});

describe('generatePlan', () => {
  it('uses structured output (json_schema, strict) and returns the parsed plan', async () => {
    const m = await newMember();
    fake.respondWith(() => JSON.stringify(PLAN));
    const result = await new MockActivityEnvironment().run(
      (i: ReturnType<typeof planInput>) => ai.generatePlan(i),
      planInput(m.id),
    );
    expect(result).toEqual({ source: 'openai', prompt: 'plan@1', plan: PLAN });

    expect(fake.chatRequests).toHaveLength(1);
    const body = fake.chatRequests[0]!.body;
    expect(body.model).toBe(MODEL);
    expect(body.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: {
        name: 'plan',
        strict: true,
        schema: {
          type: 'object',
          required: ['milestones', 'dailyHabits', 'weeklyTarget'],
          additionalProperties: false,
        },
      },
    });
    expect(body.messages.map((msg: { role: string }) => msg.role)).toEqual(['system', 'user']);
  });

  it('falls back to the template on invalid JSON, and on JSON that is not a usable plan', async () => {
    const m = await newMember();
    const expected = await offline.generatePlan(planInput(m.id));
    expect(expected.source).toBe('template');

    fake.respondWith(() => '{"milestones": ["Week 1: run"');
    expect(await ai.generatePlan(planInput(m.id))).toEqual(expected);
    fake.respondWith(() => 'Sure! Here is your plan: run more.');
    expect(await ai.generatePlan(planInput(m.id))).toEqual(expected);
    // The fake's default reply: schema-conforming, but empty lists.
    fake.respondWith(() => JSON.stringify({ milestones: [], dailyHabits: [], weeklyTarget: '' }));
    expect(await ai.generatePlan(planInput(m.id))).toEqual(expected);
    expect(fake.chatRequests).toHaveLength(3);
  });

  it('falls back to a deterministic, tone-specific template on 500, timeout and without a client', async () => {
    const m = await newMember();
    const byTone = new Map<Tone, Plan>();
    for (const tone of TONES) {
      const expected = await offline.generatePlan(planInput(m.id, tone));
      expect(expected).toMatchObject({ source: 'template', prompt: 'plan.template@1' });
      expect(await offline.generatePlan(planInput(m.id, tone))).toEqual(expected);

      fake.failNext(1, 500);
      expect(await ai.generatePlan(planInput(m.id, tone))).toEqual(expected);
      fake.hangNext(1);
      expect(await ai.generatePlan(planInput(m.id, tone))).toEqual(expected);
      byTone.set(tone, expected.plan);
    }
    const [a, b, c] = TONES.map((t) => JSON.stringify(byTone.get(t)));
    expect(new Set([a, b, c]).size).toBe(3);
    expect(byTone.get('friendly')!.weeklyTarget).toContain('3 sessions of run');
  });
});

describe('writeMotivation and writeWeeklySummary', () => {
  it('return the model text within the segment budget even when it is very long', async () => {
    const m = await newMember();
    fake.respondWith(() => 'You are doing great, keep showing up every single day! '.repeat(40));
    const motivation = await ai.writeMotivation(motivationInput(m.id));
    expect(motivation).toMatchObject({ source: 'openai', prompt: 'motivation@1' });
    expect(motivation.text.startsWith('You are doing great')).toBe(true);
    expect(countSegments(motivation.text).segments).toBe(2);

    const summary = await ai.writeWeeklySummary(summaryInput(m.id));
    expect(summary).toMatchObject({ source: 'openai', prompt: 'weekly_summary@1' });
    expect(countSegments(summary.text).segments).toBe(3);

    // Emoji force UCS-2 (67 units a part): still within budget.
    fake.respondWith(() => 'Great job 💪 '.repeat(60));
    const ucs = await ai.writeMotivation(motivationInput(m.id));
    expect(ucs.source).toBe('openai');
    expect(countSegments(ucs.text).segments).toBeLessThanOrEqual(2);
  });

  it('maps typographic punctuation to GSM-7 and fills the {name} placeholder locally', async () => {
    const m = await newMember();
    fake.respondWith(() => '\u201CGreat week, {name}!\u201D You\u2019re at 71% \u2014 keep going\u2026');
    const summary = await ai.writeWeeklySummary(summaryInput(m.id));
    expect(summary.text).toBe('"Great week, Ana!" You\'re at 71% - keep going...');
    expect(smsEncoding(summary.text)).toBe('GSM-7');
    fake.respondWith(() => '"Keep going, [name]. Day 4 is yours."');
    expect((await ai.writeMotivation(motivationInput(m.id))).text).toBe('Keep going, Ana. Day 4 is yours.');
  });

  it('falls back to deterministic, tone-specific templates on 500, timeout, empty reply and without a client', async () => {
    const m = await newMember();
    const motivations = new Set<string>();
    const summaries = new Set<string>();
    for (const tone of TONES) {
      const mot = await offline.writeMotivation(motivationInput(m.id, tone));
      const sum = await offline.writeWeeklySummary(summaryInput(m.id, tone));
      expect(mot).toMatchObject({ source: 'template', prompt: 'motivation.template@1' });
      expect(sum).toMatchObject({ source: 'template', prompt: 'weekly_summary.template@1' });
      expect(await offline.writeMotivation(motivationInput(m.id, tone))).toEqual(mot);
      expect(await offline.writeWeeklySummary(summaryInput(m.id, tone))).toEqual(sum);
      expect(sum.text).toContain('5/7');
      expect(sum.text).toContain('71%');
      expect(sum.text.match(/Suggestion:/g)).toHaveLength(1);

      fake.failNext(2, 500);
      expect(await ai.writeMotivation(motivationInput(m.id, tone))).toEqual(mot);
      expect(await ai.writeWeeklySummary(summaryInput(m.id, tone))).toEqual(sum);
      fake.hangNext(2);
      expect(await ai.writeMotivation(motivationInput(m.id, tone))).toEqual(mot);
      expect(await ai.writeWeeklySummary(summaryInput(m.id, tone))).toEqual(sum);
      fake.respondWith(() => '   ');
      expect(await ai.writeMotivation(motivationInput(m.id, tone))).toEqual(mot);
      fake.respondWith(() => ({ content: null, refusal: 'I cannot help with that.' }));
      expect(await ai.writeWeeklySummary(summaryInput(m.id, tone))).toEqual(sum);
      fake.reset();
      motivations.add(mot.text);
      summaries.add(sum.text);
    }
    expect(motivations.size).toBe(3);
    expect(summaries.size).toBe(3);
  });

  it('templates fit their budgets for every tone and situation, even with long or non-GSM names', async () => {
    const statuses = ['done', 'not_done', 'missed', 'rest'] as const;
    for (const memberName of ['Ana', 'Bartholomew-Alexander Featherstonehaugh', 'Zoë 😀', '']) {
      for (const tone of TONES) {
        for (const streak of [0, 1, 12, 1234]) {
          for (const status of statuses) {
            const r = await offline.writeMotivation({
              memberId: crypto.randomUUID(),
              memberName,
              tone,
              streak,
              recent: [{ localDate: '2026-11-22', status }],
            });
            expect(countSegments(r.text).segments).toBeLessThanOrEqual(2);
            expect(r.text).not.toMatch(/^\W/);
          }
        }
        for (const [done, due] of [
          [0, 0],
          [0, 7],
          [4, 7],
          [7, 7],
        ] as const) {
          const r = await offline.writeWeeklySummary({
            ...summaryInput(crypto.randomUUID(), tone),
            memberName,
            done,
            due,
            adherence7: due ? done / due : 0,
          });
          expect(countSegments(r.text).segments).toBeLessThanOrEqual(3);
        }
      }
    }
  });
});

describe('no personal data leaves', () => {
  it('redacts phone numbers, e-mail addresses and the name in every request body; never sends the member id', async () => {
    const m = await newMember('Ana');
    const pii = 'call me at +14155550123 or ana@example.com, Ana here';
    await ai.generatePlan({
      memberId: m.id,
      memberName: 'Ana',
      goal: { title: `ANA runs; text +1 (415) 555-0123 or ana.b@example.org`, cadence: { kind: 'daily' } },
      tone: 'calm',
    });
    await ai.writeMotivation({
      memberId: m.id,
      memberName: 'Ana',
      tone: 'friendly',
      streak: 2,
      recent: [
        { localDate: '2026-11-21', status: 'done', reflection: pii },
        {
          localDate: '2026-11-22',
          status: 'not_done',
          reflection: `ana: my number is 415.555.0123, ${m.id}`,
        },
      ],
    });
    await ai.writeWeeklySummary({ ...summaryInput(m.id), memberName: 'Ana' });
    await ai.moderateReflection({ memberId: m.id, memberName: 'Ana', text: pii });

    expect(fake.requests).toHaveLength(4);
    for (const req of fake.requests) {
      expect(req.raw).not.toMatch(/\+?1?[\s(.-]*415[\s).-]*555[\s.-]*0123/);
      expect(req.raw).not.toContain('@example.');
      expect(req.raw).not.toMatch(/\bana\b/i);
      expect(req.raw).not.toContain(m.id);
      expect(req.raw).not.toContain(m.phone);
      expect(req.body.user).toBeUndefined();
    }
    const all = fake.requests.map((r) => r.raw).join('\n');
    // The member's text still arrives, with the personal data replaced.
    expect(all).toContain('call me at [phone] or [email], [name] here');
    expect(all).toContain('[name] runs; text [phone] or [email]');
  });
});

describe('daily cost budget', () => {
  it('sums usage per member and UTC day, then uses the template without calling OpenAI once spent', async () => {
    const m = await newMember();
    const usages: Array<{ prompt_tokens: number; completion_tokens: number }> = [];
    const capturing = new OpenAI({
      apiKey: 'test',
      baseURL: fake.baseUrl,
      maxRetries: 0,
      timeout: 500,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        const href = typeof url === 'string' ? url : url instanceof URL ? url.href : url.url;
        if (res.ok && href.endsWith('/chat/completions')) {
          const body = (await res.clone().json()) as { usage: (typeof usages)[number] };
          usages.push(body.usage);
        }
        return res;
      },
    });
    const now = () => new Date('2026-03-01T23:30:00-08:00'); // already 2026-03-02 in UTC
    const roomy = createAiActivities({ db: database.db, openai: capturing, model: MODEL, now });
    expect((await roomy.writeMotivation(motivationInput(m.id))).source).toBe('openai');
    expect((await roomy.writeWeeklySummary(summaryInput(m.id))).source).toBe('openai');
    expect(usages).toHaveLength(2);

    const [row] = await database.db
      .select()
      .from(aiUsage)
      .where(and(eq(aiUsage.memberId, m.id), eq(aiUsage.day, '2026-03-02')));
    const cost = usages.reduce(
      (sum, u) =>
        sum + costMicroUsd(MODEL, { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens }),
      0,
    );
    expect(row).toEqual({
      memberId: m.id,
      day: '2026-03-02',
      requests: 2,
      promptTokens: usages[0]!.prompt_tokens + usages[1]!.prompt_tokens,
      completionTokens: usages[0]!.completion_tokens + usages[1]!.completion_tokens,
      costMicroUsd: cost,
    });
    expect(cost).toBeGreaterThan(0);

    // A budget equal to today's spend is exhausted: templates, and no further request.
    const spent = createAiActivities({
      db: database.db,
      openai: capturing,
      model: MODEL,
      now,
      dailyBudgetMicroUsd: cost,
    });
    const before = fake.chatRequests.length;
    expect(await spent.writeMotivation(motivationInput(m.id))).toEqual(
      await offline.writeMotivation(motivationInput(m.id)),
    );
    expect((await spent.generatePlan(planInput(m.id))).source).toBe('template');
    expect(fake.chatRequests).toHaveLength(before);
    // Another day (UTC) starts from zero.
    const nextDay = createAiActivities({
      db: database.db,
      openai: capturing,
      model: MODEL,
      now: () => new Date('2026-03-03T00:00:01Z'),
      dailyBudgetMicroUsd: cost,
    });
    expect((await nextDay.writeMotivation(motivationInput(m.id))).source).toBe('openai');
  });

  it('with a tiny budget, the first call is made and the next one uses the template', async () => {
    const m = await newMember();
    const tiny = createAiActivities({
      db: database.db,
      openai: client,
      model: MODEL,
      dailyBudgetMicroUsd: 1,
    });
    expect((await tiny.writeMotivation(motivationInput(m.id))).source).toBe('openai');
    expect(fake.chatRequests).toHaveLength(1);
    const second = await tiny.writeWeeklySummary(summaryInput(m.id));
    expect(second).toEqual(await offline.writeWeeklySummary(summaryInput(m.id)));
    expect(fake.chatRequests).toHaveLength(1);

    const rows = await database.db.select().from(aiUsage).where(eq(aiUsage.memberId, m.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ requests: 1 });
    expect(rows[0]!.promptTokens).toBeGreaterThan(0);
    expect(rows[0]!.costMicroUsd).toBeGreaterThanOrEqual(1);

    // Other members are unaffected.
    const other = await newMember('Bo');
    expect((await tiny.writeMotivation({ ...motivationInput(other.id), memberName: 'Bo' })).source).toBe(
      'openai',
    );
  });

  it('failed calls record nothing', async () => {
    const m = await newMember();
    fake.failNext(1, 500);
    expect((await ai.writeMotivation(motivationInput(m.id))).source).toBe('template');
    expect(await database.db.select().from(aiUsage).where(eq(aiUsage.memberId, m.id))).toEqual([]);
  });
});

describe('moderateReflection', () => {
  it('flagged → not shareable; clean → shareable', async () => {
    const m = await newMember();
    fake.flagWhen((text) => (text.includes('hate') ? ['harassment', 'hate'] : false));
    expect(await ai.moderateReflection({ memberId: m.id, text: 'I hate all of you' })).toEqual({
      shareable: false,
      source: 'openai',
      categories: ['harassment', 'hate'],
    });
    expect(await ai.moderateReflection({ memberId: m.id, text: 'Ran 5k, felt great' })).toEqual({
      shareable: true,
      source: 'openai',
      categories: [],
    });
    expect(fake.requests.map((r) => r.body)).toEqual([
      { model: 'omni-moderation-latest', input: 'I hate all of you' },
      { model: 'omni-moderation-latest', input: 'Ran 5k, felt great' },
    ]);
  });

  it('fails closed: moderation error, no client, empty text', async () => {
    const m = await newMember();
    fake.flagWhen(() => {
      throw new Error('moderation is down'); // the fake answers 500
    });
    const closed = { shareable: false, source: 'fallback', categories: [] };
    expect(await ai.moderateReflection({ memberId: m.id, text: 'Ran 5k, felt great' })).toEqual(closed);
    expect(fake.requests).toHaveLength(1);
    expect(await offline.moderateReflection({ memberId: m.id, text: 'Ran 5k, felt great' })).toEqual(closed);
    expect(await ai.moderateReflection({ memberId: m.id, text: '   ' })).toEqual(closed);
    expect(fake.requests).toHaveLength(1);
  });

  it('never marks contact details shareable', async () => {
    const m = await newMember();
    expect(await ai.moderateReflection({ memberId: m.id, text: 'text me at +14155550123' })).toEqual({
      shareable: false,
      source: 'openai',
      categories: ['contact-info'],
    });
    expect(fake.requests[0]!.body.input).toBe('text me at [phone]');
  });
});
