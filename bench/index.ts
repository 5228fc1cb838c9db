/**
 * `npm run bench` runs every benchmark in this folder, one after another, each in its own process:
 *
 *   npm run bench                      # all of them, with their default arguments
 *   npm run bench -- pacing            # one (or several: pacing,crews), with its defaults
 *   npm run bench -- pacing --mps 12   # one, with its own arguments
 *
 * A benchmark is a file `bench/<name>.ts` that prints its own report; results go to BENCHMARKS.md by hand,
 * with the command and the machine.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'))
  .map((f) => f.slice(0, -3))
  .sort();

const [first, ...rest] = process.argv.slice(2);
const chosen = first && !first.startsWith('-') ? first.split(',') : available;
const args = first && !first.startsWith('-') ? rest : process.argv.slice(2);
const unknown = chosen.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark: ${unknown.join(', ')} (available: ${available.join(', ')})`);
  process.exit(2);
}
if (args.length > 0 && chosen.length > 1) {
  console.error('arguments apply to one benchmark: name it first, e.g. `npm run bench -- pacing --mps 12`');
  process.exit(2);
}
let failed = 0;
for (const name of chosen) {
  console.log(`\n== bench/${name}.ts ${args.join(' ')}`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(here, `${name}.ts`), ...args], {
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    failed += 1;
    console.error(`bench/${name}.ts exited with ${run.status ?? run.signal}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
