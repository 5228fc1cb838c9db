/** The OpenAI client for the worker: null without an API key (the AI activities then use their templates). */
import OpenAI from 'openai';

/** Per-request timeout; with one SDK retry an activity waits at most ~2× this (plus backoff) for OpenAI. */
export const OPENAI_TIMEOUT_MS = 10_000;
export const OPENAI_MAX_RETRIES = 1;

export function createOpenAIClient(cfg: {
  apiKey: string | undefined;
  baseUrl: string | undefined;
}): OpenAI | null {
  if (!cfg.apiKey) return null;
  return new OpenAI({
    apiKey: cfg.apiKey,
    baseURL: cfg.baseUrl,
    timeout: OPENAI_TIMEOUT_MS,
    maxRetries: OPENAI_MAX_RETRIES,
  });
}
