/**
 * Temporal's remote codec protocol (the Web UI's codec endpoint, `temporal … --codec-endpoint`): `POST
 * /codec/encode` and `POST /codec/decode` take `{ payloads: [{ metadata: { k: base64 }, data: base64 }] }` and
 * answer the same shape, through the payload codec (db/payload-codec.ts). Decoding shows personal data, so it
 * needs an operator or admin key (scope `payloads:decode`, api/auth.ts); the Web UI's cross-origin calls are
 * allowed from CODEC_CORS_ORIGINS (api/app.ts). A subject whose key was destroyed decodes to its tombstone.
 */
import { getConnInfo } from '@hono/node-server/conninfo';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Payload } from '@temporalio/common';
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { problem } from '../problem.js';

/** Bounded so a request cannot make the process hold an unbounded history at once (the body limit bounds bytes). */
const MAX_PAYLOADS = 1_000;
/** Within the API's 64 KiB body limit, so an over-long value is a 400 naming it rather than a 413. */
const base64 = z
  .string()
  .max(60_000)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

const PayloadJson = z
  .object({
    metadata: z
      .record(z.string().max(200), base64)
      .optional()
      .openapi({ description: 'Metadata values, base64 (e.g. `encoding`: base64 of `json/plain`)' }),
    data: base64.optional().openapi({ description: 'The payload bytes, base64' }),
  })
  .openapi('CodecPayload');

const Payloads = z
  .object({ payloads: z.array(PayloadJson).max(MAX_PAYLOADS) })
  .openapi('CodecPayloads', { description: "Temporal's remote codec protocol body" });

const fromJson = (p: z.infer<typeof PayloadJson>): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  ),
  ...(p.data !== undefined && { data: Buffer.from(p.data, 'base64') }),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  ...(p.data && { data: Buffer.from(p.data).toString('base64') }),
});

const codecRoute = (op: 'encode' | 'decode') =>
  createRoute({
    method: 'post',
    path: `/${op}`,
    tags: ['Privacy'],
    summary:
      op === 'decode'
        ? "Decode payloads for the Temporal Web UI or CLI (opens personal data sealed with its subject's key)"
        : 'Encode payloads for the Temporal Web UI or CLI (seals objects marked with a subject)',
    request: { body: jsonBody(Payloads) },
    responses: {
      200: jsonResponse(
        Payloads,
        op === 'decode' ? 'The decoded payloads, in order' : 'The encoded payloads',
      ),
      ...problems(...BODY_PROBLEMS, 503),
    },
  });

export function codecRouter({ payloadCodec, logger }: AppDeps) {
  const run = async (op: 'encode' | 'decode', c: Context, body: z.infer<typeof Payloads>) => {
    if (!payloadCodec)
      return problem(c, { title: 'No payload codec', status: 503, detail: 'This API runs without one.' });
    try {
      const out = await payloadCodec[op](body.payloads.map(fromJson));
      return c.json({ payloads: out.map(toJson) }, 200);
    } catch (err) {
      // A tampered or foreign sealed part (never an erased one: that decodes to its tombstone). No payload
      // content in the log or the answer.
      logger.warn({ err: { name: (err as Error).name } }, `codec ${op} failed`);
      return problem(c, {
        title: 'Invalid request',
        status: 400,
        detail: 'A payload could not be decoded (tampered with, or sealed with a key of another deployment).',
        errors: [{ field: 'payloads', message: 'a payload failed authentication' }],
      });
    }
  };
  return createRouter()
    .openapi(codecRoute('encode'), (c) => run('encode', c, c.req.valid('json')) as never)
    .openapi(codecRoute('decode'), (c) => run('decode', c, c.req.valid('json')) as never);
}

/** The dev server's Web UI (`npm start`): the default of CODEC_CORS_ORIGINS. */
export const DEFAULT_CODEC_CORS_ORIGINS = ['http://127.0.0.1:8233', 'http://localhost:8233'];

/**
 * CORS for the Web UI: its `X-Namespace` and `Authorization` headers, and credentials (the UI's "include
 * cross-origin credentials" setting) from the listed origins only.
 */
export const codecCors = (origins: string[] = DEFAULT_CODEC_CORS_ORIGINS) =>
  cors({
    origin: (origin) => (origins.includes(origin) ? origin : null),
    allowMethods: ['POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'X-Namespace'],
    credentials: true,
    maxAge: 600,
  });

const LOOPBACK_ADDRESSES = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const isLoopbackOrigin = (origin: string) => {
  try {
    return LOOPBACK_HOSTS.has(new URL(origin).hostname);
  } catch {
    return false;
  }
};
const remoteAddressOf = (c: Context): string | undefined => {
  try {
    return getConnInfo(c).remote.address;
  } catch {
    return undefined; // no socket (an in-process request)
  }
};

/**
 * `npm start`'s dev server Web UI calls the codec endpoint with only `Content-Type` and `X-Namespace` (it sends
 * an `Authorization` header only as an OIDC access token when the UI itself has sign-in, which the dev server's
 * has not): it cannot send an API key. With `codecDevLoopback` (set by scripts/start.ts only, never from the
 * environment) a codec call WITHOUT credentials is answered when all of these hold: it comes from a loopback
 * socket address (not a forwarded header), its `Origin` is listed in CODEC_CORS_ORIGINS, and that origin is itself
 * a loopback one. Anything else goes on to the normal access check (401 without a key). A call with a key is
 * always checked as usual. Registered before the access check (api/app.ts); the answer is the codec router's own.
 */
export function codecDevAccess(
  deps: AppDeps,
  origins: string[] = DEFAULT_CODEC_CORS_ORIGINS,
): MiddlewareHandler {
  if (!deps.config.codecDevLoopback) return (_c, next) => next();
  const dev = new OpenAPIHono().route('/codec', codecRouter(deps));
  return async (c, next) => {
    const origin = c.req.header('origin');
    const allowed =
      c.req.method === 'POST' &&
      !c.req.header('authorization') &&
      origin !== undefined &&
      origins.includes(origin) &&
      isLoopbackOrigin(origin) &&
      LOOPBACK_ADDRESSES.has(remoteAddressOf(c) ?? '');
    if (!allowed) return next();
    return dev.fetch(c.req.raw, c.env);
  };
}
