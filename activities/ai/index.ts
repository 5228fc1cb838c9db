/**
 * The AI layer as Temporal activities: plans, motivation texts, weekly summaries and reflection moderation.
 *
 * - Official `openai` SDK; the client (timeout, retries) is built by `createOpenAIClient` — null without a key.
 * - Prompts are versioned (prompts.ts); every result records `<id>@<version>` of what produced it.
 * - Every request body is redacted (redact.ts): no phone numbers, e-mail addresses, ids or the member's name
 *   ever leave. No member id is sent either (no `user` / `safety_identifier`).
 * - Texts are fitted to their SMS segment budget.
 * - Per-member daily budget (ai_usage): checked before a call, incremented from the response's `usage` after.
 * - Never fails because of OpenAI: no client, an error, a timeout, an invalid reply or a spent budget all give
 *   the deterministic tone-specific template (moderation fails closed: not shareable).
 */
import { Context } from '@temporalio/activity';
import type OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { crewAiContext } from '../../db/crews.js';
import {
  CREW_NARRATIVE_PROMPT,
  CREW_SEGMENT_BUDGET,
  CREW_TEMPLATE_REFS,
  CREW_WEEKLY_PROMPT,
  crewNarrativeTemplate,
  crewWeeklyTemplate,
  onlyGivenNumbers,
  type CrewSummaryFigures,
} from './crew.js';
import { members } from '../../db/schema.js';
import {
  MOTIVATION_PROMPT,
  PLAN_PROMPT,
  promptRef,
  WEEKLY_SUMMARY_PROMPT,
  type PromptTemplate,
} from './prompts.js';
import { containsContactInfo, redact } from './redact.js';
import { isErased, markedFor } from '../../workflows/lib/subject.js';
import {
  BRIEFING_BUDGET,
  BRIEFING_PROMPT,
  BRIEFING_TEMPLATE_REF,
  briefingTemplate,
  briefingVars,
  loadBriefingData,
  type BriefingData,
} from './briefing.js';
import {
  adherencePercent,
  motivationTemplate,
  planTemplate,
  TEMPLATE_REFS,
  weeklySummaryTemplate,
} from './templates.js';
import { cleanModelText, clip, describeCadence, firstName, SEGMENT_BUDGET, sessionsPerWeek } from './text.js';
import type {
  AiTextResult,
  GeneratePlanInput,
  GeneratePlanResult,
  ModerateReflectionInput,
  ModerationResult,
  Plan,
  Tone,
  WeeklySummaryInput,
  WriteMotivationInput,
} from './types.js';
import { createWorkerMetrics, labelValue, type WorkerMetrics } from '../metrics.js';
import { costMicroUsd, DEFAULT_DAILY_BUDGET_MICRO_USD, recordUsage, spentOn, utcDay } from './usage.js';

export * from './types.js';
export type { CrewSummaryFigures } from './crew.js';
export { createOpenAIClient } from './client.js';
export { DEFAULT_DAILY_BUDGET_MICRO_USD } from './usage.js';

export interface AiDeps {
  db: Db;
  /** null: no OPENAI_API_KEY — every activity uses its template / fallback. */
  openai: OpenAI | null;
  model: string;
  /** Per member and UTC day, in micro-USD (default 2000 = $0.002). */
  dailyBudgetMicroUsd?: number;
  /** Clock for the UTC day of the budget (tests). */
  now?: () => Date;
  /** Where calls, tokens and cost are counted (worker/metrics.ts serves them); a private registry if omitted. */
  metrics?: WorkerMetrics;
}

export const MODERATION_MODEL = 'omni-moderation-latest';

/** Sent to OpenAI for the plan's structured output (no length keywords: not all models accept them). */
const PlanWire = z.object({
  milestones: z.array(z.string()),
  dailyHabits: z.array(z.string()),
  weeklyTarget: z.string(),
});
const PLAN_RESPONSE_FORMAT = zodResponseFormat(PlanWire, 'plan');

/** What a usable plan must look like once received. */
const nonBlank = z.string().trim().min(1);
const PlanReply = z.object({
  milestones: z.array(nonBlank).min(1),
  dailyHabits: z.array(nonBlank).min(1),
  weeklyTarget: nonBlank,
});

type ChatParams = Omit<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming, 'model' | 'messages'>;

/** Logs through the activity context when there is one (never personal data); silent otherwise. */
function log(level: 'info' | 'warn', message: string, attrs: Record<string, unknown>): void {
  try {
    Context.current().log[level](message, attrs);
  } catch {
    // Called outside an activity (unit tests): nothing to log to.
  }
}

/** Aborts the OpenAI request when Temporal cancels the activity. */
function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined;
  }
}

function describeError(err: unknown): Record<string, unknown> {
  const e = err as { name?: unknown; status?: unknown; code?: unknown };
  return { error: typeof e?.name === 'string' ? e.name : 'Error', status: e?.status, code: e?.code };
}

export function createAiActivities(deps: AiDeps) {
  const { db, openai, model } = deps;
  const budget = deps.dailyBudgetMicroUsd ?? DEFAULT_DAILY_BUDGET_MICRO_USD;
  const now = deps.now ?? (() => new Date());
  const metrics = deps.metrics ?? createWorkerMetrics();
  const counted = (operation: string, outcome: 'ok' | 'error' | 'refused' | 'budget', m = model) =>
    metrics.aiCalls.inc({ model: labelValue(m), operation, outcome });

  /**
   * One chat completion for a member, or null (no client, budget spent, error, timeout, refusal, filtered).
   * Both messages are redacted right here, so no caller can forget it.
   */
  async function complete<V>(
    memberId: string,
    memberName: string,
    prompt: PromptTemplate<V>,
    vars: V,
    params: ChatParams,
    otherNames: readonly string[] = [],
  ): Promise<string | null> {
    if (!openai) return null;
    const day = utcDay(now());
    try {
      const spent = await spentOn(db, memberId, day);
      if (spent >= budget) {
        counted(prompt.id, 'budget');
        log('info', 'AI daily budget reached; using template', { prompt: promptRef(prompt), spent, budget });
        return null;
      }
    } catch (err) {
      // Fail closed: without knowing the spend, do not spend.
      log('warn', 'AI budget check failed; using template', {
        prompt: promptRef(prompt),
        ...describeError(err),
      });
      return null;
    }

    const names = [memberName, ...otherNames];
    let completion: OpenAI.Chat.Completions.ChatCompletion;
    try {
      completion = await openai.chat.completions.create(
        {
          ...params,
          model,
          messages: [
            { role: 'system', content: redact(prompt.system, { names }) },
            { role: 'user', content: redact(prompt.user(vars), { names }) },
          ],
        },
        { signal: cancellationSignal() },
      );
    } catch (err) {
      counted(prompt.id, 'error');
      log('warn', 'OpenAI call failed; using template', { prompt: promptRef(prompt), ...describeError(err) });
      return null;
    }
    const promptTokens = completion.usage?.prompt_tokens ?? 0;
    const completionTokens = completion.usage?.completion_tokens ?? 0;
    metrics.aiTokens.inc({ model: labelValue(model), type: 'prompt' }, promptTokens);
    metrics.aiTokens.inc({ model: labelValue(model), type: 'completion' }, completionTokens);
    metrics.aiCost.inc(
      { model: labelValue(model) },
      costMicroUsd(model, { promptTokens, completionTokens }) / 1_000_000,
    );

    try {
      await recordUsage(db, {
        memberId,
        day,
        model,
        promptTokens,
        completionTokens,
      });
    } catch (err) {
      // The call happened and its result is good; failing now would only make Temporal pay for it again.
      log('warn', 'AI usage not recorded', { prompt: promptRef(prompt), ...describeError(err) });
    }

    const choice = completion.choices[0];
    if (!choice || choice.message.refusal || choice.finish_reason === 'content_filter') {
      counted(prompt.id, 'refused');
      return null;
    }
    counted(prompt.id, 'ok');
    return choice.message.content ?? null;
  }

  /** The name to redact and to address the member by: given, or read from Postgres ('' if erased). */
  async function withName<T extends { memberId: string; memberName?: string }>(
    input: T,
  ): Promise<T & { memberName: string }> {
    if (input.memberName !== undefined) return input as T & { memberName: string };
    const row = await db.query.members.findFirst({
      columns: { name: true },
      where: eq(members.id, input.memberId),
    });
    return { ...input, memberName: row?.name ?? '' };
  }

  return {
    /** A four-week plan for a goal (structured output), or the tone's template plan. */
    async generatePlan(given: GeneratePlanInput): Promise<GeneratePlanResult> {
      const input = await withName(given);
      const template = (): GeneratePlanResult => ({
        source: 'template',
        prompt: TEMPLATE_REFS.plan,
        plan: planTemplate(input),
      });
      const content = await complete(
        input.memberId,
        input.memberName,
        PLAN_PROMPT,
        {
          tone: input.tone,
          goalTitle: clip(input.goal.title, 120),
          cadence: describeCadence(input.goal.cadence),
          sessionsPerWeek: sessionsPerWeek(input.goal.cadence),
        },
        { response_format: PLAN_RESPONSE_FORMAT, max_completion_tokens: 600 },
      );
      if (content === null) return template();
      let json: unknown;
      try {
        json = JSON.parse(content);
      } catch {
        log('warn', 'OpenAI plan was not JSON; using template', { prompt: promptRef(PLAN_PROMPT) });
        return template();
      }
      const parsed = PlanReply.safeParse(json);
      if (!parsed.success) {
        log('warn', 'OpenAI plan did not match the schema; using template', {
          prompt: promptRef(PLAN_PROMPT),
        });
        return template();
      }
      const plan: Plan = {
        milestones: parsed.data.milestones.slice(0, 4).map((s) => clip(s, 120)),
        dailyHabits: parsed.data.dailyHabits.slice(0, 3).map((s) => clip(s, 100)),
        weeklyTarget: clip(parsed.data.weeklyTarget, 120),
      };
      return { source: 'openai', prompt: promptRef(PLAN_PROMPT), plan };
    },

    /** One motivational SMS (at most 2 segments). */
    async writeMotivation(given: WriteMotivationInput): Promise<AiTextResult> {
      const input = await withName(given);
      const names = [input.memberName];
      const recent = [...input.recent]
        .sort((a, b) => (a.localDate < b.localDate ? 1 : a.localDate > b.localDate ? -1 : 0))
        .slice(0, 7)
        .map((r) => ({
          status: r.status,
          reflection: r.reflection ? clip(redact(r.reflection, { names }), 160) || null : null,
        }));
      const content = await complete(
        input.memberId,
        input.memberName,
        MOTIVATION_PROMPT,
        { tone: input.tone, streak: Math.max(0, Math.floor(input.streak)), recent },
        { max_completion_tokens: 200 },
      );
      const text =
        content === null
          ? ''
          : cleanModelText(content, firstName(input.memberName), SEGMENT_BUDGET.motivation);
      if (!text) {
        return { source: 'template', prompt: TEMPLATE_REFS.motivation, text: motivationTemplate(input) };
      }
      return { source: 'openai', prompt: promptRef(MOTIVATION_PROMPT), text };
    },

    /** The weekly summary SMS: adherence and one suggestion (at most 3 segments). */
    async writeWeeklySummary(given: WeeklySummaryInput): Promise<AiTextResult> {
      const input = await withName(given);
      const content = await complete(
        input.memberId,
        input.memberName,
        WEEKLY_SUMMARY_PROMPT,
        {
          tone: input.tone,
          adherencePercent: adherencePercent(input.adherence7),
          done: Math.max(0, Math.floor(input.done)),
          due: Math.max(0, Math.floor(input.due)),
          currentStreak: Math.max(0, Math.floor(input.currentStreak)),
          longestStreak: Math.max(0, Math.floor(input.longestStreak)),
        },
        { max_completion_tokens: 300 },
      );
      const text =
        content === null
          ? ''
          : cleanModelText(content, firstName(input.memberName), SEGMENT_BUDGET.weeklySummary);
      if (!text) {
        return {
          source: 'template',
          prompt: TEMPLATE_REFS.weeklySummary,
          text: weeklySummaryTemplate(input),
        };
      }
      return { source: 'openai', prompt: promptRef(WEEKLY_SUMMARY_PROMPT), text };
    },

    /**
     * The mentor's briefing before a mentorship session (issue 11): the mentee's last 14 days, streaks, goals,
     * risk and the last session's ratings, through the redacted completion; the template without OpenAI.
     * `text` is the SMS (one segment with the MORE hint), `more` the longer version.
     */
    async writeMentorBriefing(input: {
      menteeMemberId: string;
      session: number;
      lastSession: BriefingData['lastSession'];
    }): Promise<{ source: 'openai' | 'template'; prompt: string; text: string; more: string }> {
      // Opened after the mentee's or mentor's erasure (their key gone): nothing to brief on, never retried.
      if (isErased(input))
        return {
          source: 'template',
          prompt: BRIEFING_TEMPLATE_REF,
          text: 'Crewline: session in 2 h.',
          more: '',
        };
      // The briefing is the mentee's personal data: sealed with their key in the match's history.
      type Briefing = { source: 'openai' | 'template'; prompt: string; text: string; more: string };
      const b = await (async (): Promise<Briefing> => {
        const data = await loadBriefingData(db, input.menteeMemberId, input.lastSession, now().getTime());
        const template = () => ({
          source: 'template' as const,
          prompt: BRIEFING_TEMPLATE_REF,
          ...briefingTemplate(data),
        });
        const content = await complete(
          input.menteeMemberId,
          data.memberName,
          BRIEFING_PROMPT,
          briefingVars(data),
          { max_completion_tokens: 500 },
        );
        if (content === null) return template();
        const [first, ...rest] = content.split(/^\s*-{3,}\s*$/mu);
        const name = firstName(data.memberName);
        const short = cleanModelText(first ?? '', name, 1);
        const long = cleanModelText(rest.join(' '), name, BRIEFING_BUDGET.longSegments);
        if (!short || !long || short.length > BRIEFING_BUDGET.shortChars) return template();
        return {
          source: 'openai',
          prompt: promptRef(BRIEFING_PROMPT),
          text: `Crewline: ${short}`,
          more: long,
        };
      })();
      return markedFor('member', input.menteeMemberId, b);
    },

    /**
     * The crew's weekly challenge (issue 9) in its tone, or the tone's template. Nothing about the crew's people
     * is sent: the crew's and every member's name are redacted from the request, the organiser's daily AI
     * budget pays. Returns the challenge's body; the workflow frames it (title, week).
     */
    async writeCrewWeeklyChallenge(input: {
      crewId: string;
      tone: Tone;
      title: string;
      week: number;
      weeks: number;
    }): Promise<AiTextResult> {
      const template = (): AiTextResult => ({
        source: 'template',
        prompt: CREW_TEMPLATE_REFS.weekly,
        text: crewWeeklyTemplate(input.tone, input.week),
      });
      const crew = await crewAiContext(db, input.crewId);
      if (!crew?.budgetMemberId) return template();
      const content = await complete(
        crew.budgetMemberId,
        '',
        CREW_WEEKLY_PROMPT,
        { tone: input.tone, title: clip(input.title, 80), week: input.week, weeks: input.weeks },
        { max_completion_tokens: 200 },
        [crew.crewName, ...crew.memberNames],
      );
      const text = content === null ? '' : cleanModelText(content, '', CREW_SEGMENT_BUDGET.weekly);
      return text ? { source: 'openai', prompt: promptRef(CREW_WEEKLY_PROMPT), text } : template();
    },

    /**
     * The end summary's narrative in the crew's tone: the model words the workflow's figures; a narrative with a
     * number it was not given (or none at all) falls back to the template. Same redaction and budget as above.
     */
    async writeCrewSummaryNarrative(input: {
      crewId: string;
      tone: Tone;
      title: string;
      figures: CrewSummaryFigures;
    }): Promise<AiTextResult> {
      const template = (): AiTextResult => ({
        source: 'template',
        prompt: CREW_TEMPLATE_REFS.narrative,
        text: crewNarrativeTemplate(input.tone, input.figures),
      });
      const crew = await crewAiContext(db, input.crewId);
      if (!crew?.budgetMemberId) return template();
      const content = await complete(
        crew.budgetMemberId,
        '',
        CREW_NARRATIVE_PROMPT,
        { tone: input.tone, title: clip(input.title, 80), ...input.figures },
        { max_completion_tokens: 150 },
        [crew.crewName, ...crew.memberNames],
      );
      const text = content === null ? '' : cleanModelText(content, '', CREW_SEGMENT_BUDGET.narrative);
      if (!text) return template();
      if (!onlyGivenNumbers(text, input.figures)) {
        log('warn', 'crew narrative stated a number it was not given; using template', {
          prompt: promptRef(CREW_NARRATIVE_PROMPT),
        });
        return template();
      }
      return { source: 'openai', prompt: promptRef(CREW_NARRATIVE_PROMPT), text };
    },

    /**
     * Whether a reflection may be shared. Fails closed: no client, an error or an empty text → not shareable.
     * Text holding contact details (phone number, e-mail) is never shareable ('contact-info'). Moderation is
     * free, so it does not count against the daily budget.
     */
    async moderateReflection(input: ModerateReflectionInput): Promise<ModerationResult> {
      const fallback: ModerationResult = { shareable: false, source: 'fallback', categories: [] };
      const text = input.text.trim();
      if (!text || !openai) return fallback;
      let response: OpenAI.Moderations.ModerationCreateResponse;
      try {
        response = await openai.moderations.create(
          { model: MODERATION_MODEL, input: redact(text, { names: [input.memberName] }) },
          { signal: cancellationSignal() },
        );
      } catch (err) {
        counted('moderation', 'error', MODERATION_MODEL);
        log('warn', 'OpenAI moderation failed; not shareable', describeError(err));
        return fallback;
      }
      counted('moderation', 'ok', MODERATION_MODEL);
      const result = response.results[0];
      if (!result) return fallback;
      const categories = Object.entries(result.categories)
        .filter(([, flagged]) => flagged === true)
        .map(([category]) => category)
        .sort();
      if (containsContactInfo(text)) categories.push('contact-info');
      return { shareable: !result.flagged && categories.length === 0, source: 'openai', categories };
    },
  };
}

export type AiActivities = ReturnType<typeof createAiActivities>;
