import { timingSafeEqual } from 'node:crypto';
import {
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import type { Config } from '../worker/config.js';
import { HttpProblem, problem } from './problem.js';
import { consentRouter } from './routes/consent.js';
import { devRouter } from './routes/dev.js';
import { goalsRouter } from './routes/goals.js';
import { healthRouter } from './routes/health.js';
import { inboxRouter } from './routes/inbox.js';
import { membersRouter } from './routes/members.js';
import { messagesRouter } from './routes/messages.js';
import { webhooksRouter } from './routes/webhooks.js';

export interface AppDeps {
  db: Db;
  temporal: Client;
  /** `members` (new members' workflow settings) falls back to the configuration defaults. */
  config: Pick<Config, 'apiKeys' | 'publicBaseUrl' | 'twilio' | 'brand'> &
    Partial<Pick<Config, 'members' | 'optOutManagedBy'>>;
  logger: Logger;
}

function keyMatches(given: string, keys: string[]): boolean {
  const a = Buffer.from(given);
  return keys.some((k) => {
    const b = Buffer.from(k);
    return a.length === b.length && timingSafeEqual(a, b);
  });
}

export function createApp(deps: AppDeps) {
  const app = new Hono();

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    deps.logger.info(
      {
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });

  // API key on everything except health and the provider webhooks (those are signed instead).
  app.use('*', async (c, next) => {
    const path = c.req.path;
    if (path === '/health' || path.startsWith('/webhooks/')) return next();
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match?.[1] || !keyMatches(match[1].trim(), deps.config.apiKeys)) {
      return problem(c, {
        title: 'Unauthorized',
        status: 401,
        detail: match ? 'The API key is not valid.' : 'Send an API key as "Authorization: Bearer <key>".',
      });
    }
    return next();
  });

  app.route('/health', healthRouter(deps));
  app.route('/members/:id/goals', goalsRouter(deps));
  app.route('/members', membersRouter(deps));
  app.route('/messages', messagesRouter(deps));
  app.route('/consent', consentRouter(deps));
  app.route('/inbox', inboxRouter(deps));
  app.route('/webhooks/twilio', webhooksRouter(deps));
  app.route('/dev', devRouter(deps));

  app.notFound((c) =>
    problem(c, { title: 'Not found', status: 404, detail: `No route for ${c.req.method} ${c.req.path}` }),
  );

  app.onError((err, c) => {
    if (err instanceof HttpProblem) return problem(c, err.problem);
    if (err instanceof HTTPException) {
      // e.g. a body that is not valid JSON, rejected by Hono's validator before ours runs.
      return problem(c, {
        title: err.status === 400 ? 'Invalid request' : 'Error',
        status: err.status,
        detail: err.message,
      });
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
      // The workflow's validators reject with "<field>: <reason>" (e.g. "title: is required").
      const detail = err.cause?.message ?? err.message;
      const named = /^([A-Za-z][\w.]*):\s*([\s\S]+)$/.exec(detail);
      return problem(c, {
        title: 'Rejected',
        status: 422,
        detail,
        ...(named && { errors: [{ field: named[1]!, message: named[2]! }] }),
      });
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
      deps.logger.warn({ err: err.message }, 'workflow update timed out');
      return problem(c, {
        title: 'Service unavailable',
        status: 503,
        detail:
          'The workflow did not answer in time; the change may still be applied. Check before retrying.',
      });
    }
    if (err instanceof ServiceError) {
      deps.logger.warn({ err: err.message }, 'temporal unavailable');
      return problem(c, {
        title: 'Service unavailable',
        status: 503,
        detail: 'The workflow service is unreachable; nothing was saved. Try again.',
      });
    }
    deps.logger.error({ err: { name: err.name, message: err.message, stack: err.stack } }, 'unhandled error');
    return problem(c, { title: 'Internal error', status: 500, detail: 'Something went wrong on our side.' });
  });

  return app;
}
