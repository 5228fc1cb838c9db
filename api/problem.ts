import { zValidator } from '@hono/zod-validator';
import type { Context, ValidationTargets } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { requestIdOf } from './request-id.js';

/** RFC 9457 problem details. */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  errors?: Array<{ field: string; message: string }>;
  [extra: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A problem+json response, with the request's id (api/request-id.ts) when it has one. */
export function problem(c: Context, p: Problem): Response {
  const requestId = requestIdOf(c);
  return c.newResponse(
    JSON.stringify({ type: 'about:blank', ...p, ...(requestId && { requestId }) }),
    p.status as ContentfulStatusCode,
    {
      'content-type': PROBLEM_CONTENT_TYPE,
    },
  );
}

export class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

/** 400 naming every offending field (`fallbackField` for an issue on the whole target, e.g. `body`). */
export function invalidRequest(
  c: Context,
  error: { issues: ReadonlyArray<{ path: PropertyKey[]; message: string; code?: string; keys?: string[] }> },
  fallbackField: string,
): Response {
  const errors = error.issues.flatMap((i) => {
    const at = i.path.map(String);
    // A parameter the operation does not know (e.g. a misspelt `memberid`): named, rather than silently ignored.
    if (i.code === 'unrecognized_keys' && i.keys?.length)
      return i.keys.map((k) => ({ field: [...at, k].join('.'), message: 'is not a known parameter' }));
    return [{ field: at.length ? at.join('.') : fallbackField, message: i.message }];
  });
  return problem(c, {
    title: 'Invalid request',
    status: 400,
    detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    errors,
  });
}

/**
 * zod validation for a plain Hono route, with the same 400 problem+json as the OpenAPI routes' hook. Prefer
 * declaring routes with `createRoute` (api/openapi.ts) so they appear in the OpenAPI document.
 */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(
  target: Target,
  schema: T,
) {
  return zValidator(target, schema, (result, c) =>
    result.success ? undefined : invalidRequest(c, result.error, target === 'json' ? 'body' : target),
  );
}
