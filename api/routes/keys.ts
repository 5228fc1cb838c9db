/** API keys (admin only: see api/auth.ts): create (the secret is shown once), list, revoke. */
import { createRoute, z } from '@hono/zod-openapi';
import { API_KEY_ROLES } from '../../db/access-schema.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../../db/api-keys.js';
import type { AppDeps } from '../deps.js';
import { BODY_PROBLEMS, createRouter, jsonBody, jsonResponse, problems } from '../openapi.js';
import { HttpProblem } from '../problem.js';
import { text, uuid } from '../schemas/atoms.js';

/** Strict: a caller may set the name and the role, nothing else (no id, secret, hash or revocation time). */
const CreateKey = z
  .strictObject({ name: text(100), role: z.enum(API_KEY_ROLES) })
  .openapi('CreateApiKey', { additionalProperties: false });

const ApiKeyView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    role: z.enum(API_KEY_ROLES),
    prefix: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi('ApiKey');
const CreatedKey = ApiKeyView.extend({
  secret: z.string().openapi({ description: 'The key: shown once, never stored (only its SHA-256 is)' }),
}).openapi('CreatedApiKey');

const view = (k: ApiKeyInfo) => ({
  id: k.id,
  name: k.name,
  role: k.role,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  revokedAt: k.revokedAt?.toISOString() ?? null,
});

const createKeyRoute = createRoute({
  method: 'post',
  path: '/',
  tags: ['Keys'],
  summary: 'Create an API key with a role (admin only); the answer is the only place its secret appears',
  request: { body: jsonBody(CreateKey) },
  responses: {
    201: jsonResponse(CreatedKey, 'Created'),
    ...problems(...BODY_PROBLEMS),
  },
});

const listKeysRoute = createRoute({
  method: 'get',
  path: '/',
  tags: ['Keys'],
  summary: 'List API keys, newest first (never their secrets)',
  responses: { 200: jsonResponse(z.object({ keys: z.array(ApiKeyView) }), 'The keys'), ...problems() },
});

const revokeKeyRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  tags: ['Keys'],
  summary: 'Revoke an API key (idempotent); it is refused from the next request on',
  request: { params: z.object({ id: uuid('a key id') }) },
  responses: { 200: jsonResponse(ApiKeyView, 'Revoked'), ...problems(404) },
});

export function keysRouter({ db }: AppDeps) {
  return createRouter()
    .openapi(createKeyRoute, async (c) => {
      const key = await createApiKey(db, c.req.valid('json'));
      c.header('location', `/keys/${key.id}`);
      return c.json({ ...view(key), secret: key.secret }, 201);
    })
    .openapi(listKeysRoute, async (c) => c.json({ keys: (await listApiKeys(db)).map(view) }, 200))
    .openapi(revokeKeyRoute, async (c) => {
      const key = await revokeApiKey(db, c.req.valid('param').id);
      if (!key) throw new HttpProblem({ title: 'Not found', status: 404, detail: 'No such API key.' });
      return c.json(view(key), 200);
    });
}
