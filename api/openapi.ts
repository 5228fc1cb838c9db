/**
 * OpenAPI plumbing shared by every router: the router factory (its validation hook answers 400 problem+json
 * naming the field), the problem+json schema and per-status responses, and request/response helpers. Every route
 * is declared with `createRoute`, so the document at /openapi.json is generated from the same schemas that
 * validate requests.
 */
import { OpenAPIHono, z, type RouteConfig } from '@hono/zod-openapi';
import { invalidRequest, PROBLEM_CONTENT_TYPE } from './problem.js';

export const BEARER = 'bearerAuth';

/** A router whose request validation failures are 400 problem+json naming every field. */
export function createRouter() {
  return new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success)
        return invalidRequest(c, result.error, result.target === 'json' ? 'body' : result.target);
      return undefined;
    },
  });
}

export const FieldErrorSchema = z
  .object({ field: z.string(), message: z.string() })
  .openapi('FieldError', { description: 'One invalid field: its path (e.g. `cadence.times`) and why.' });

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(FieldErrorSchema).optional(),
    requestId: z.string().optional().openapi({ description: "This request's id (also in X-Request-Id)" }),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details.' });

const ProblemRef = { $ref: '#/components/schemas/Problem' } as const;

const PROBLEM_DESCRIPTIONS = {
  400: 'Invalid request: `errors` names each invalid field (`body` for a body that is not JSON)',
  401: 'Missing, unknown or revoked API key',
  403: "Forbidden (for an API route: the key's role may not call it)",
  404: 'Not found',
  409: 'Conflict',
  413: 'Request body too large',
  415: 'Unsupported content type (send application/json)',
  422: 'The workflow refused the change: `errors` names the field',
  429: 'Too many requests from this key or address: retry after `Retry-After` seconds',
  503: 'A dependency (Temporal or PostgreSQL) is unavailable; nothing was saved',
} as const;
export type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

/** problem+json responses for the given statuses (with the ones every authenticated route can give). */
export function problems<S extends ProblemStatus = never>(...statuses: S[]) {
  const all = new Set<ProblemStatus>([400, 401, ...statuses]);
  return Object.fromEntries(
    [...all].sort().map((s) => [
      s,
      {
        description: PROBLEM_DESCRIPTIONS[s],
        content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } },
      },
    ]),
  ) as unknown as Record<
    S | 400 | 401,
    { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }
  >;
}

/** A problem response body: the statuses a JSON-body route adds (size limit, content type). */
/**
 * What the access check (api/auth.ts) can answer on any authenticated route, added to each such operation of the
 * document by `openApiDocument` (api/app.ts) so no route can forget them.
 */
export const ACCESS_PROBLEMS = {
  401: {
    description: PROBLEM_DESCRIPTIONS[401],
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemRef } },
  },
  403: {
    description: "The key's role may not call this route",
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemRef } },
  },
  429: {
    description: PROBLEM_DESCRIPTIONS[429],
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer', minimum: 1 } } },
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ProblemRef } },
  },
} as const;

export const BODY_PROBLEMS = [413, 415] as const;

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    required: true,
    ...(description && { description }),
    content: { 'application/json': { schema } },
  } as const;
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } } as const;
}

export type { RouteConfig };
