/**
 * Per-member daily AI spend: a price table, the cost of one call, and the `ai_usage` row (one per member and
 * UTC day) read before a call and upserted atomically after it.
 */
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { aiUsage } from '../../db/schema.js';

/** Default daily budget per member: 2000 micro-USD = $0.002. */
export const DEFAULT_DAILY_BUDGET_MICRO_USD = 2000;

/**
 * USD per 1M tokens, which is the same number as micro-USD per token. Matched by longest prefix, so dated
 * snapshots (gpt-4o-mini-2024-07-18) use their family's price.
 */
export const PRICES: Readonly<Record<string, { input: number; output: number }>> = {
  'gpt-4o-mini': { input: 0.15, output: 0.6 },
  'gpt-4o': { input: 2.5, output: 10 },
  'gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'gpt-4.1': { input: 2, output: 8 },
  'gpt-5-nano': { input: 0.05, output: 0.4 },
  'gpt-5-mini': { input: 0.25, output: 2 },
  'gpt-5': { input: 1.25, output: 10 },
};
/** Unknown models are charged at the most expensive listed rate (never under-count spend). */
const UNKNOWN_MODEL_PRICE = { input: 2.5, output: 10 };

export function priceFor(model: string): { input: number; output: number } {
  const key = Object.keys(PRICES)
    .filter((k) => model === k || model.startsWith(`${k}-`))
    .sort((a, b) => b.length - a.length)[0];
  return key ? PRICES[key]! : UNKNOWN_MODEL_PRICE;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** Cost of one call in micro-USD, rounded up. */
export function costMicroUsd(model: string, usage: TokenUsage): number {
  const p = priceFor(model);
  return Math.ceil(usage.promptTokens * p.input + usage.completionTokens * p.output);
}

/** The UTC calendar day (YYYY-MM-DD) of `now`. */
export const utcDay = (now: Date): string => now.toISOString().slice(0, 10);

/** What the member has spent on `day` (micro-USD). */
export async function spentOn(db: Db, memberId: string, day: string): Promise<number> {
  const [row] = await db
    .select({ cost: aiUsage.costMicroUsd })
    .from(aiUsage)
    .where(and(eq(aiUsage.memberId, memberId), eq(aiUsage.day, day)));
  return row?.cost ?? 0;
}

/** Adds one call to the member's row for `day` (insert or increment, atomically). */
export async function recordUsage(
  db: Db,
  entry: { memberId: string; day: string; model: string } & TokenUsage,
): Promise<void> {
  const promptTokens = Math.max(0, Math.round(entry.promptTokens));
  const completionTokens = Math.max(0, Math.round(entry.completionTokens));
  const cost = costMicroUsd(entry.model, { promptTokens, completionTokens });
  await db
    .insert(aiUsage)
    .values({
      memberId: entry.memberId,
      day: entry.day,
      requests: 1,
      promptTokens,
      completionTokens,
      costMicroUsd: cost,
    })
    .onConflictDoUpdate({
      target: [aiUsage.memberId, aiUsage.day],
      set: {
        requests: sql`${aiUsage.requests} + excluded.requests`,
        promptTokens: sql`${aiUsage.promptTokens} + excluded.prompt_tokens`,
        completionTokens: sql`${aiUsage.completionTokens} + excluded.completion_tokens`,
        costMicroUsd: sql`${aiUsage.costMicroUsd} + excluded.cost_micro_usd`,
      },
    });
}
