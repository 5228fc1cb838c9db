/**
 * Guest import benchmark: one CSV of N rows (default 100,000) through the API's `POST /guest-lists/{id}/imports`
 * into embedded PostgreSQL, in this process (the API app over Hono's request interface, no HTTP socket).
 *
 *   npm run bench -- import [--rows 100000] [--consent 0.5]
 *
 * Reports: the CSV's size; time to the 202 (the body read, stream-parsed and normalised); time until the import
 * is `completed` (rows written in 250-row transactions with their consent ledger entries); rows/s; the import's
 * counts; and the process's peak RSS. Every 1,000th row has an invalid number (so rejections are written too).
 */
import { mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { pino } from 'pino';
import { createApp } from '../api/app.js';
import { importsSettled } from '../api/guest-imports.js';
import { createDb } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { startEmbeddedPostgres } from '../worker/infra.js';

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '100000' }, consent: { type: 'string', default: '0.5' } },
});
const ROWS = Number(values.rows);
const CONSENT = Number(values.consent);
const KEY = 'bench-api-key-123456';

function csv(): string {
  const lines = ['phone,name,table,event_time,consent_source,consent_at,consent_text'];
  for (let i = 1; i <= ROWS; i++) {
    const phone = i % 1000 === 0 ? 'not a number' : `+1212${String(2000000 + i).padStart(7, '0')}`;
    const consent =
      (i * 7919) % 1000 < CONSENT * 1000 ? 'rsvp form,2026-11-01T10:00:00Z,Text me about the gala' : ',,';
    lines.push(`${phone},Guest ${i},${i % 40},19:30,${consent}`);
  }
  return lines.join('\n') + '\n';
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);

const dir = await mkdtemp(path.join(tmpdir(), 'crewline-bench-import-'));
const pg = await startEmbeddedPostgres({ dir: path.join(dir, 'pg'), persistent: false });
try {
  await runMigrations(pg.url);
  const { db, close } = createDb(pg.url, { max: 10 });
  const app = createApp({
    db,
    temporal: {} as Client,
    logger: pino({ level: 'silent' }),
    config: {
      apiKeys: [KEY],
      publicBaseUrl: 'http://localhost:3000',
      twilio: undefined,
      brand: { name: 'Crewline', support: 'help@crewline.app' },
    },
  });
  const headers = { authorization: `Bearer ${KEY}` };
  const list = (await (
    await app.request('/guest-lists', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Bench' }),
    })
  ).json()) as { id: string };
  const body = csv();
  const started = performance.now();
  const res = await app.request(`/guest-lists/${list.id}/imports`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'text/csv' },
    body,
  });
  const accepted = performance.now();
  if (res.status !== 202) throw new Error(`import answered ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  await importsSettled();
  const finished = performance.now();
  const result = (await (
    await app.request(`/guest-lists/${list.id}/imports/${id}?limit=1`, { headers })
  ).json()) as Record<string, unknown>;
  clearInterval(sampler);
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  console.log(
    [
      `machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
      `rows: ${ROWS}, CSV ${(body.length / 2 ** 20).toFixed(1)} MiB`,
      `202 after: ${s(accepted - started)} (read, parsed, normalised)`,
      `completed after: ${s(finished - started)} (${Math.round(ROWS / ((finished - started) / 1000))} rows/s overall, ${Math.round(ROWS / ((finished - accepted) / 1000))} rows/s written)`,
      `status: ${String(result.status)}, imported ${String(result.imported)}, with consent ${String(result.withConsent)}, rejected ${String(result.rejected)}`,
      `peak RSS: ${Math.round(peakRss / 2 ** 20)} MiB`,
    ].join('\n'),
  );
  if (result.status !== 'completed') process.exitCode = 1;
  await close();
} finally {
  await pg.stop();
}
