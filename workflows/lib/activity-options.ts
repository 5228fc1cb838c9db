/**
 * Named activity options: every workflow proxies an activity group with one of these, so a retry policy is
 * written once. Pure (plain objects); workflows import them.
 */
import type { ActivityOptions } from '@temporalio/workflow';
import { SMS_TASK_QUEUE } from '../ids.js';

/** Postgres writes: idempotent upserts, retried until they succeed (input they can never store is non-retryable). */
export const DB_WRITE: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
};

/** AI texts: they never fail because of OpenAI (templates), so a few attempts cover worker crashes. */
export const AI: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumAttempts: 3 },
};

/**
 * Sending SMS, on the sender pool's rate-limited task queue: retried with backoff on transient provider errors
 * (a provider 429 therefore slows a message down instead of failing it); permanent ones are non-retryable.
 */
export const SMS_SEND: ActivityOptions = {
  taskQueue: SMS_TASK_QUEUE,
  // Includes the wait for a pacing slot (bounded by the sender workers' concurrency).
  startToCloseTimeout: '60 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    maximumAttempts: 30,
  },
};

/** A batch of sends (bulk): the SMS retry policy, with room for a whole batch and a heartbeat per item. */
export const SMS_BATCH: ActivityOptions = {
  ...SMS_SEND,
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '1 minute',
};

/** The daily retention purge: batched deletes that heartbeat; retried until they succeed (they are idempotent). */
export const DB_PURGE: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '10 seconds', maximumInterval: '10 minutes' },
};

/** The mentorship optimiser (a read of Postgres and an LP solve): no side effects, so a few attempts are safe. */
export const OPTIMISE: ActivityOptions = {
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
};

/**
 * Erasure's wait for a crew challenge to drop the erased member (a query, activities/erasure.ts): retried with
 * backoff while the challenge still holds them, and bounded — after a day it fails, and the erasure records the
 * challenge in its result and goes on.
 */
export const CHALLENGE_DROP_WAIT: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
};
