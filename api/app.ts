import { codecCors, codecDevAccess, codecRouter } from './routes/codec.js';
import { Scalar } from '@scalar/hono-api-reference';
import { useErasureHashKey } from '../db/erasure.js';
import {
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { auditHashKey, auditMiddleware } from './audit.js';
import { accessControl } from './auth.js';
import type { AppDeps } from './deps.js';
import { MAX_IMPORT_BYTES } from './guest-import.js';
import { createApiMetrics } from './metrics.js';
import { requestId, requestIdOf } from './request-id.js';
import { tracingMiddleware } from './tracing.js';
import { ACCESS_PROBLEMS, BEARER, createRouter } from './openapi.js';
import { HttpProblem, problem } from './problem.js';
import { auditRouter } from './routes/audit.js';
import { authRouter } from './routes/auth.js';
import { campaignRepliesRouter } from './routes/campaign-replies.js';
import { campaignsRouter } from './routes/campaigns.js';
import { campaignTestSendsRouter } from './routes/campaign-test-sends.js';
import { consentRouter, meConsentRouter } from './routes/consent.js';
import { challengesRouter, crewsRouter, memberCrewsRouter } from './routes/crews.js';
import { meReflectionsRouter, reflectionsRouter } from './routes/reflections.js';
import { devRouter } from './routes/dev.js';
import { goalsRouter } from './routes/goals.js';
import { guestListsRouter } from './routes/guest-lists.js';
import { healthRouter, probesRouter } from './routes/health.js';
import { inboxRouter } from './routes/inbox.js';
import { keysRouter } from './routes/keys.js';
import { meRouter } from './routes/me.js';
import { membersRouter } from './routes/members.js';
import { mentorshipRouter } from './routes/mentorship.js';
import { messagesRouter } from './routes/messages.js';
import { metricsRouter } from './routes/metrics.js';
import { privacyRouter } from './routes/privacy.js';
import { webhooksRouter } from './routes/webhooks.js';
import { createTokenService } from './tokens.js';
import { fieldErrorsOf } from './workflows.js';

export type { AppConfig, AppDeps } from './deps.js';

/** Largest request body accepted (every body the API takes is a small JSON object or a Twilio form)… */
export const MAX_BODY_BYTES = 64 * 1024;
/** …but a guest import upload (MAX_IMPORT_BYTES). */
const IMPORT_UPLOAD_PATH = /^\/guest-lists\/[^/]+\/imports$/;

/** Paths served without an API key: health and the orchestrator probes, the API's own description, and the provider webhooks (signed). */
export const isPublicPath = (path: string): boolean =>
  path === '/health' ||
  path === '/livez' ||
  path === '/readyz' ||
  path === '/openapi.json' ||
  path === '/docs' ||
  path.startsWith('/webhooks/');

const OPENAPI_INFO = {
  title: 'Crewline API',
  version: '1.0.0',
  description:
    'SMS-first accountability backend. Every route but /health, /openapi.json, /docs and the Twilio webhooks ' +
    "needs `Authorization: Bearer <API key>`; the key's role (admin, operator, app) decides which routes it may " +
    'call (403 otherwise), and keys and addresses are rate-limited (429 with Retry-After). Members and mentors ' +
    'sign in by one-time SMS code (/auth, no key) and call /me with their access token. Errors are RFC 9457 `application/problem+json`; a 400 or 422 ' +
    'names each field in `errors[]`.',
};

export function createApp(given: AppDeps) {
  const app = createRouter();
  const metrics =
    given.metrics ??
    createApiMetrics({ processMetrics: given.config.processMetrics ?? false, temporal: given.temporal });
  const deps: AppDeps = { ...given, metrics };

  app.use('*', requestId);
  if (deps.config.tracing) app.use('*', tracingMiddleware);
  app.use('*', metrics.middleware);

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    deps.logger.info(
      {
        requestId: requestIdOf(c),
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });

  const tooLarge = (max: number, hint = '') =>
    bodyLimit({
      maxSize: max,
      onError: (c) =>
        problem(c, {
          title: 'Payload too large',
          status: 413,
          detail: `The request body is larger than ${max} bytes.${hint}`,
        }),
    });
  const defaultLimit = tooLarge(MAX_BODY_BYTES, ' Large guest imports go to POST /guest-lists/{id}/imports.');
  const importLimit = tooLarge(MAX_IMPORT_BYTES);
  // Guest imports (api/routes/guest-lists.ts) take up to MAX_IMPORT_BYTES; every other body 64 KiB.
  app.use('*', (c, next) =>
    (c.req.method === 'POST' && IMPORT_UPLOAD_PATH.test(c.req.path) ? importLimit : defaultLimit)(c, next),
  );

  // The Temporal Web UI calls /codec/* from its own origin: CORS (its preflight carries no key) before access.
  app.use('/codec/*', codecCors(deps.config.codecCorsOrigins));
  // `npm start` only: its dev server's Web UI (no API key to send) decodes from loopback (api/routes/codec.ts).
  app.use('/codec/*', codecDevAccess(deps, deps.config.codecCorsOrigins));
  // Per-IP limit, API key or member token (401), per-key limit (429), role → route scope (403): api/auth.ts.
  const tokens = createTokenService(deps.config.auth);
  app.use('*', accessControl(deps, isPublicPath, tokens));
  // Who read personal data or changed consent, keys, weights, moderation: the audit log (api/audit.ts).
  const hashKey = auditHashKey(deps.config);
  useErasureHashKey(hashKey); // erasure records hash numbers with the same key (db/erasure.ts)
  app.use('*', auditMiddleware({ db: deps.db, hashKey, logger: deps.logger }));

  app.openAPIRegistry.registerComponent('securitySchemes', BEARER, {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`npm run keys -- create`, POST /keys) or, in development, one from API_KEYS',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'memberToken', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'A member or mentor access token (HS256 JWT, 15 min) from POST /auth/otp/verify or POST /auth/refresh; ' +
      'it reaches only /me routes',
  });

  app.route('/health', healthRouter(deps));
  app.route('/', probesRouter(deps));
  app.route('/members/:id/goals', goalsRouter(deps));
  app.route('/members/:id/crews', memberCrewsRouter(deps));
  app.route('/crews', crewsRouter(deps));
  app.route('/challenges', challengesRouter(deps));
  app.route('/challenges', reflectionsRouter(deps));
  app.route('/members', membersRouter(deps));
  app.route('/', mentorshipRouter(deps));
  app.route('/messages', messagesRouter(deps));
  app.route('/consent', consentRouter(deps));
  app.route('/inbox', inboxRouter(deps));
  app.route('/webhooks/twilio', webhooksRouter(deps));
  app.route('/dev', devRouter(deps));
  app.route('/guest-lists', guestListsRouter(deps));
  app.route('/campaigns', campaignsRouter(deps));
  app.route('/campaigns', campaignRepliesRouter(deps));
  app.route('/campaigns', campaignTestSendsRouter(deps));
  app.route('/keys', keysRouter(deps));
  app.route('/audit', auditRouter(deps, hashKey));
  app.route('/auth', authRouter(deps, tokens));
  app.route('/me/challenges', meReflectionsRouter(deps));
  app.route('/me/consent', meConsentRouter(deps));
  app.route('/me', meRouter(deps));
  app.route('/metrics', metricsRouter(metrics));
  app.route('/privacy', privacyRouter(deps));
  app.route('/codec', codecRouter(deps));

  app.get('/openapi.json', (c) => c.json(openApiDocument(app)));
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'Crewline API' }));

  app.notFound((c) =>
    problem(c, { title: 'Not found', status: 404, detail: `No route for ${c.req.method} ${c.req.path}` }),
  );

  app.onError((err, c) => {
    if (err instanceof HttpProblem) return problem(c, err.problem);
    if (err instanceof HTTPException) {
      if (err.status === 400) {
        // A body the parser could not read (Hono's validators throw before ours run). Not its text: it can quote
        // the body.
        const message = /json/i.test(err.message) ? 'is not valid JSON' : 'could not be parsed';
        return problem(c, {
          title: 'Invalid request',
          status: 400,
          detail: `body: ${message}`,
          errors: [{ field: 'body', message }],
        });
      }
      if (err.status === 415) {
        return problem(c, {
          title: 'Unsupported media type',
          status: 415,
          detail:
            'This operation takes another content type (application/json unless /openapi.json says otherwise).',
          errors: [{ field: 'content-type', message: 'is not accepted by this operation' }],
        });
      }
      return problem(c, { title: 'Error', status: err.status, detail: err.message });
    }
    if (err instanceof WorkflowNotFoundError) {
      return problem(c, {
        title: 'Not found',
        status: 404,
        detail: 'No running workflow for this resource.',
      });
    }
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return problem(c, {
        title: 'Conflict',
        status: 409,
        detail: 'The workflow for this resource already exists.',
      });
    }
    if (err instanceof WorkflowUpdateFailedError) {
      // The workflow's validators reject with a typed failure (workflows/lib/failures.ts) naming the field.
      const errors = fieldErrorsOf(err);
      return problem(c, {
        title: 'Rejected',
        status: 422,
        detail: errors
          ? errors.map((e) => `${e.field}: ${e.message}`).join('; ')
          : (err.cause?.message ?? 'The workflow refused the change.'),
        ...(errors && { errors }),
      });
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      deps.logger.warn({ errorName: err.name }, 'workflow update timed out');
      return problem(c, {
        title: 'Service unavailable',
        status: 503,
        detail:
          'The workflow did not answer in time; the change may still be applied. Check before retrying.',
      });
    }
    if (err instanceof ServiceError) {
      deps.logger.warn({ errorName: err.name }, 'temporal unavailable');
      return problem(c, {
        title: 'Service unavailable',
        status: 503,
        detail: 'The workflow service is unreachable; nothing was saved. Try again.',
      });
    }
    // Never the message or the stack's first line: a database error quotes the failed query's values.
    const code = (err as { code?: unknown }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
    deps.logger.error(
      {
        requestId: requestIdOf(c),
        errorName: err.name,
        ...(typeof code === 'string' && { errorCode: code }),
        method: c.req.method,
        route: c.req.routePath,
      },
      'unhandled error',
    );
    return problem(c, { title: 'Internal error', status: 500, detail: 'Something went wrong on our side.' });
  });

  return app;
}

/**
 * The OpenAPI 3.1 document of every route mounted with `createRoute`: bearer auth by default, none on the public
 * paths (health, the webhooks — which Twilio signs instead).
 */
export function openApiDocument(app: ReturnType<typeof createRouter>) {
  const doc = app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: OPENAPI_INFO,
    security: [{ [BEARER]: [] }],
  });
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const isPublic = isPublicPath(path.replace(/\{[^}]+\}/g, 'x'));
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const) {
      const op = item[method];
      if (!op) continue;
      if (isPublic) op.security = [];
      // The access check's answers (401, 403, 429 with Retry-After) on every authenticated operation.
      else op.responses = { ...ACCESS_PROBLEMS, ...op.responses };
    }
  }
  return doc;
}
