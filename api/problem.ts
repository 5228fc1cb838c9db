import { zValidator } from '@hono/zod-validator';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ValidationTargets } from 'hono';
import type { z } from 'zod';

/** RFC 9457 problem details. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
  [extra: string]: unknown;
}

export function problem(c: Context, p: Problem): Response {
  return c.newResponse(JSON.stringify({ type: 'about:blank', ...p }), p.status as ContentfulStatusCode, {
    'content-type': 'application/problem+json',
  });
}

export class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

/** zod validation whose failures are 400 problem+json naming every offending field. */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(
  target: Target,
  schema: T,
) {
  return zValidator(target, schema, (result, c) => {
    if (!result.success) {
      const errors = result.error.issues.map((i) => ({
        field: i.path.length ? i.path.join('.') : target,
        message: i.message,
      }));
      return problem(c, {
        title: 'Invalid request',
        status: 400,
        detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
        errors,
      });
    }
    return undefined;
  });
}
