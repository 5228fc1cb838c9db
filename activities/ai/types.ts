/** Inputs and results of the AI activities (workflows import these as types only). */
import type { GoalCadence } from '../../workflows/member/goals.js';
import type { Tone } from '../../workflows/member/values.js';

/** Tones are defined once, with the member's values. */
export { TONES, type Tone } from '../../workflows/member/values.js';

export type Cadence = GoalCadence;

/** Where a text came from: the model, or the deterministic template (no key, error, timeout, budget). */
export type AiSource = 'openai' | 'template';

/**
 * `memberName` may be omitted (workflows do: no personal data in histories); the activity then reads it from
 * Postgres. It is only used to redact the name and in templates, never sent to OpenAI.
 */
export interface GeneratePlanInput {
  memberId: string;
  memberName?: string;
  goal: { title: string; cadence: Cadence };
  tone: Tone;
}

export interface Plan {
  milestones: string[];
  dailyHabits: string[];
  weeklyTarget: string;
}

export interface GeneratePlanResult {
  source: AiSource;
  /** `<prompt id>@<version>` of the prompt or template that produced the plan. */
  prompt: string;
  plan: Plan;
}

export interface RecentCheckIn {
  localDate: string;
  status: 'done' | 'not_done' | 'missed' | 'rest';
  reflection?: string | null;
}

export interface WriteMotivationInput {
  memberId: string;
  memberName?: string;
  tone: Tone;
  streak: number;
  recent: RecentCheckIn[];
}

export interface WeeklySummaryInput {
  memberId: string;
  memberName?: string;
  tone: Tone;
  /** Local date (YYYY-MM-DD) the week starts on. Not sent to OpenAI. */
  weekStart: string;
  /** 0..1 */
  adherence7: number;
  done: number;
  due: number;
  currentStreak: number;
  longestStreak: number;
}

export interface AiTextResult {
  source: AiSource;
  prompt: string;
  /** One SMS body, within its segment budget. */
  text: string;
}

export interface ModerateReflectionInput {
  memberId: string;
  text: string;
  /** Redacted from the text before it is sent for moderation, when given. */
  memberName?: string;
}

export interface ModerationResult {
  shareable: boolean;
  /** 'fallback': no client or moderation failed — never shareable (fail closed). */
  source: 'openai' | 'fallback';
  /** Flagged moderation categories, plus 'contact-info' when the text holds a phone number or e-mail. */
  categories: string[];
}
