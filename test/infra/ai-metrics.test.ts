/**
 * Issue 13, metrics: the AI activities count OpenAI calls by model, operation and outcome, the tokens used and
 * their cost (tokens × the price table), with the real openai SDK against the fake OpenAI server.
 */
import { eq } from 'drizzle-orm';
import OpenAI from 'openai';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createAiActivities } from '../../activities/ai/index.js';
import { costMicroUsd } from '../../activities/ai/usage.js';
import { createWorkerMetrics } from '../../activities/metrics.js';
import { aiUsage, members } from '../../db/schema.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai.js';
import { createTestDatabase } from '../helpers/db.js';
import { valueOf } from './metrics-text.js';

const MODEL = 'gpt-4o-mini';
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let fake: FakeOpenAI;

beforeAll(async () => {
  [database, fake] = await Promise.all([createTestDatabase(), startFakeOpenAI({ apiKey: 'test' })]);
});
afterAll(async () => {
  await database?.close();
  await fake?.close();
});

it('counts calls by outcome, tokens by type and the cost by model', async () => {
  const metrics = createWorkerMetrics();
  const openai = new OpenAI({ apiKey: 'test', baseURL: fake.baseUrl, maxRetries: 0, timeout: 2_000 });
  const ai = createAiActivities({ db: database.db, openai, model: MODEL, metrics });
  const id = crypto.randomUUID();
  await database.db
    .insert(members)
    .values({ id, name: 'Ana', phone: '+14155550188', timezone: 'America/New_York', checkInTime: '19:00' });
  const input = { memberId: id, memberName: 'Ana', tone: 'friendly' as const, streak: 2, recent: [] };

  fake.respondWith(() => 'Two days in a row. Keep it going tomorrow!');
  expect((await ai.writeMotivation(input)).source).toBe('openai');
  fake.failNext(1, 500);
  expect((await ai.writeMotivation(input)).source).toBe('template');
  expect((await ai.moderateReflection({ memberId: id, memberName: 'Ana', text: 'a good run' })).source).toBe(
    'openai',
  );

  const text = await metrics.registry.metrics();
  const model = { model: 'gpt-4o-mini' };
  expect(valueOf(text, 'crewline_ai_calls_total', { ...model, operation: 'motivation', outcome: 'ok' })).toBe(
    1,
  );
  expect(
    valueOf(text, 'crewline_ai_calls_total', { ...model, operation: 'motivation', outcome: 'error' }),
  ).toBe(1);
  expect(
    valueOf(text, 'crewline_ai_calls_total', {
      model: 'omni-moderation-latest',
      operation: 'moderation',
      outcome: 'ok',
    }),
  ).toBe(1);

  // Tokens and cost agree with what the budget recorded for the member (the one successful completion).
  const [usage] = await database.db.select().from(aiUsage).where(eq(aiUsage.memberId, id));
  expect(usage!.promptTokens).toBeGreaterThan(0);
  expect(valueOf(text, 'crewline_ai_tokens_total', { ...model, type: 'prompt' })).toBe(usage!.promptTokens);
  expect(valueOf(text, 'crewline_ai_tokens_total', { ...model, type: 'completion' })).toBe(
    usage!.completionTokens,
  );
  const cost = costMicroUsd(MODEL, usage!) / 1_000_000;
  expect(valueOf(text, 'crewline_ai_cost_usd_total', model)).toBeCloseTo(cost, 12);

  // A spent budget: no call, counted as such.
  const broke = createAiActivities({
    db: database.db,
    openai,
    model: MODEL,
    metrics,
    dailyBudgetMicroUsd: 1,
  });
  expect((await broke.writeMotivation(input)).source).toBe('template');
  expect(
    valueOf(await metrics.registry.metrics(), 'crewline_ai_calls_total', {
      ...model,
      operation: 'motivation',
      outcome: 'budget',
    }),
  ).toBe(1);
});
