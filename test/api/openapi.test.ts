/** The OpenAPI contract: a valid OpenAPI 3.1 document that lists every mounted route, and the reference at /docs. */
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { Db } from '../../db/client.js';
import { auth, testApp } from '../helpers/app.js';

// Generating and serving the document touches neither the database nor Temporal.
const app = testApp({} as Db, {} as Client);

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  security: unknown[];
}
const fetchDoc = async () => {
  const res = await app.request('/openapi.json');
  expect(res.status).toBe(200);
  return (await res.json()) as OpenApiDoc;
};

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

describe('GET /openapi.json', () => {
  it('is a valid OpenAPI 3.1 document, served without an API key', async () => {
    const doc = await fetchDoc();
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every mounted route (method and path), and nothing that is not mounted', async () => {
    const doc = await fetchDoc();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, item]) =>
        Object.keys(item)
          .filter((m) => METHODS.includes(m))
          .map((m) => `${m.toUpperCase()} ${path}`),
      )
      .sort();
    const mounted = [
      ...new Set(
        app.routes
          .filter((r) => r.method !== 'ALL') // middleware
          .map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, '{$1}').replace(/(.)\/$/, '$1')}`),
      ),
    ]
      .filter((r) => r !== 'GET /openapi.json' && r !== 'GET /docs')
      .sort();
    expect(mounted.length).toBeGreaterThan(15);
    expect(documented).toEqual(mounted);
  });

  it('declares the bearer scheme, applies it everywhere but the public paths, and problem+json per status', async () => {
    const doc = await fetchDoc();
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      memberToken: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/health']!.get!.security).toEqual([]);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (path.startsWith('/webhooks/')) {
          expect(op.security, `${method} ${path}`).toEqual([]);
          continue;
        }
        if (['/health', '/livez', '/readyz'].includes(path)) {
          expect(op.security, `${method} ${path}`).toEqual([]);
          continue;
        }
        if (path.startsWith('/auth/')) {
          // Sign-in: no credential, limited per address (and per phone).
          expect(op.security, `${method} ${path}`).toEqual([]);
          expect(op.responses['429'], `${method} ${path} 429`).toBeDefined();
          continue;
        }
        // The document's default (bearer), or bearer named on the operation; /me takes a member token.
        expect(op.security ?? [{ bearerAuth: [] }], `${method} ${path}`).toEqual(
          path === '/me' || path.startsWith('/me/') ? [{ memberToken: [] }] : [{ bearerAuth: [] }],
        );
        const bad = op.responses['400'] as { content: Record<string, unknown> } | undefined;
        expect(Object.keys(bad?.content ?? {}), `${method} ${path} 400`).toEqual([
          'application/problem+json',
        ]);
        expect(op.responses['401'], `${method} ${path} 401`).toBeDefined();
        expect(op.responses['403'], `${method} ${path} 403 (role)`).toBeDefined();
        const limited = op.responses['429'] as { headers?: Record<string, unknown> } | undefined;
        expect(limited?.headers?.['Retry-After'], `${method} ${path} 429 Retry-After`).toBeDefined();
      }
    }
    const create = doc.paths['/members']!.post!;
    expect(Object.keys(create.responses).sort()).toEqual([
      '201',
      '400',
      '401',
      '403',
      '409',
      '413',
      '415',
      '429',
      '503',
    ]);
    expect(Object.keys(doc.paths['/members/{id}/goals']!.post!.responses)).toContain('422');
  });

  it('names the tone, status and risk values the workflow uses', async () => {
    const doc = (await fetchDoc()) as unknown as {
      components: { schemas: Record<string, { properties: Record<string, { enum?: string[] }> }> };
    };
    const member = doc.components.schemas['Member']!.properties;
    expect(member['tone']!.enum).toEqual(['friendly', 'tough_love', 'calm']);
    expect(member['risk']!.enum).toEqual(['low', 'medium', 'high']);
    expect(member['status']!.enum).toContain('pending_confirmation');
  });
});

describe('GET /docs', () => {
  it('serves the interactive reference (HTML pointing at /openapi.json) without an API key', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('/openapi.json');
  });

  it('other routes still need the key', async () => {
    expect((await app.request('/messages')).status).toBe(401);
    expect((await app.request('/messages?limit=abc', { headers: auth })).status).toBe(400);
  });
});
