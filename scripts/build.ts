/**
 * `npm run build [-- --out-dir <dir>]`: what the production image runs, compiled ahead of time.
 *
 *   <out>/…/*.js             tsc with tsconfig.build.json (api, db, worker, workflows, activities, scripts)
 *   <out>/db/migrations/     the committed SQL migrations (read by `node <out>/db/migrate-cli.js`)
 *   <out>/workflow-bundle.js the workflow code bundled once with `bundleWorkflowCode`; the compiled worker loads
 *                            it (worker/worker.ts `workflowCodeOptions`) instead of bundling at every start
 *
 * Default <out>: dist/. The compiled files are ES modules: run them from a directory whose package.json says
 * `"type": "module"` and whose node_modules has the production dependencies (the image: /app).
 */
import { spawnSync } from 'node:child_process';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { 'out-dir': { type: 'string', default: 'dist' } } });
const out = path.resolve(ROOT, values['out-dir']);
const say = (s: string) => process.stdout.write(`[build] ${s}\n`);

const started = Date.now();
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

say(`tsc -p tsconfig.build.json → ${out}`);
const tsc = spawnSync(
  process.execPath,
  [
    path.join(ROOT, 'node_modules/typescript/bin/tsc'),
    '-p',
    path.join(ROOT, 'tsconfig.build.json'),
    '--outDir',
    out,
  ],
  { stdio: 'inherit', cwd: ROOT },
);
if (tsc.status !== 0) {
  console.error(`[build] tsc failed (${tsc.status ?? tsc.signal})`);
  process.exit(1);
}

await cp(path.join(ROOT, 'db/migrations'), path.join(out, 'db/migrations'), { recursive: true });
say('copied db/migrations');

// From the TypeScript sources (the SDK's bundler compiles them), exactly as the worker would bundle at start.
const { code } = await bundleWorkflowCode({
  workflowsPath: path.join(ROOT, 'workflows/index.ts'),
  logger: {
    log: () => {},
    trace: () => {},
    debug: () => {},
    info: () => {},
    warn: console.warn,
    error: console.error,
  },
});
await writeFile(path.join(out, 'workflow-bundle.js'), code);
say(`workflow-bundle.js (${(code.length / 1024).toFixed(0)} KiB)`);
say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
