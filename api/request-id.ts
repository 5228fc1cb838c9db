/**
 * A request id for every API request: the caller's `X-Request-Id` when it is a short token, else a new UUID. It is
 * echoed in the `X-Request-Id` response header, in every problem+json body (`requestId`) and on the request's log
 * lines, so a user's error report leads to the log line.
 */
import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,64}$/;
// Keyed by the context: middleware such as the body limit replaces `c.req.raw`.
const ids = new WeakMap<Context, string>();

export const requestIdOf = (c: Context): string | undefined => ids.get(c);

export const requestId: MiddlewareHandler = async (c, next) => {
  const given = c.req.header('x-request-id');
  const id = given && SAFE_ID.test(given) ? given : randomUUID();
  ids.set(c, id);
  await next();
  c.res.headers.set('x-request-id', id);
};
