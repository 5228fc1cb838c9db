/**
 * docker-compose.yml and the Dockerfile, checked without Docker: current Temporal images (no deprecated
 * auto-setup), pinned versions, the schema → server → namespace order, and app services that start only after
 * the migrations and the namespace, running compiled JavaScript.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Service {
  image?: string;
  build?: unknown;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const APP = ['migrate', 'worker', 'api'];

describe('docker-compose.yml', () => {
  it('uses no temporalio/auto-setup image, and pins every image to a version', () => {
    for (const [name, s] of Object.entries(services)) {
      if (!s.image) continue;
      expect(s.image, name).not.toMatch(/auto-setup/);
      expect(s.image, name).toMatch(/:[\w.-]+$/);
      expect(s.image, name).not.toMatch(/:latest$/);
    }
    expect(services.temporal?.image).toMatch(/^temporalio\/server:\d+\.\d+\.\d+$/);
    expect(services['temporal-ui']?.image).toMatch(/^temporalio\/ui:\d+\.\d+\.\d+$/);
  });

  it('sets up both Temporal databases with admin-tools before the server, then the namespace after it', () => {
    const schema = services['temporal-schema']!;
    expect(schema.image).toMatch(/^temporalio\/admin-tools:\d+\.\d+\.\d+$/);
    const script = [schema.command].flat().join('\n');
    expect(script).toContain('temporal-sql-tool --plugin postgres12');
    expect(script).toMatch(/setup-schema -v 0\.0/);
    expect(script).toContain('/etc/temporal/schema/postgresql/v12/temporal/versioned');
    expect(script).toContain('/etc/temporal/schema/postgresql/v12/visibility/versioned');
    expect(schema.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(services.temporal?.depends_on?.['temporal-schema']?.condition).toBe(
      'service_completed_successfully',
    );
    // The server and admin-tools come from the same release.
    expect(services.temporal?.image?.split(':')[1]).toBe(schema.image?.split(':')[1]);

    const ns = services['temporal-namespace']!;
    expect(ns.image).toBe(schema.image);
    expect([ns.command].flat().join('\n')).toMatch(/temporal operator namespace create -n default/);
    expect(ns.depends_on?.temporal?.condition).toBe('service_healthy');
  });

  it('every app service runs compiled JavaScript from the image, after the migrations and the namespace', () => {
    for (const name of APP) {
      const s = services[name]!;
      expect(s.image, name).toBe('crewline:local');
      const command = [s.command].flat();
      expect(command[0], name).toBe('node');
      expect(command.join(' '), name).toMatch(/^node dist\/.+\.js$/);
      expect(command.join(' '), name).not.toMatch(/tsx|npm/);
    }
    expect(services.migrate?.depends_on?.postgres?.condition).toBe('service_healthy');
    for (const name of ['worker', 'api']) {
      expect(services[name]?.depends_on, name).toMatchObject({
        migrate: { condition: 'service_completed_successfully' },
        'temporal-namespace': { condition: 'service_completed_successfully' },
      });
    }
    // Reachable through the published port (the API's default HOST is loopback).
    expect(services.api?.environment?.HOST).toBe('0.0.0.0');
  });

  it('passes the Temporal Cloud settings through to the app services', () => {
    for (const name of ['worker', 'api'])
      for (const v of [
        'TEMPORAL_API_KEY',
        'TEMPORAL_TLS_CERT',
        'TEMPORAL_TLS_KEY',
        'TEMPORAL_TLS_SERVER_NAME',
      ])
        expect(services[name]?.environment, `${name} ${v}`).toHaveProperty(v);
  });
});

describe('Dockerfile', () => {
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages.at(-1)!;

  it('builds in one stage and runs dist/ with production dependencies only in the last', () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/RUN npm ci\n/);
    expect(stages[0]).toContain('RUN npm run build');
    expect(runtime).toContain('npm ci --omit=dev');
    expect(runtime).toContain('COPY --from=build /app/dist ./dist');
    expect(runtime).toContain('CMD ["node", "dist/worker/main.js"]');
    expect(runtime).not.toMatch(/tsx|npm run|COPY \. /);
    expect(runtime).toMatch(/^USER node$/m);
  });
});
