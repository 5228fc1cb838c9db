/**
 * Guest imports as resources: an upload is read and normalised whole (nothing is written for a body that turns
 * out not to be CSV/JSON), then its rows are written in batches of BATCH_ROWS, each batch — guests, consent
 * ledger, rejected rows and the import's progress — in one transaction. The same upload (same list, format,
 * default country and bytes) is the same import: posted again it answers with that import, and resumes it where
 * its last committed batch left off if it failed or its writer is gone (an API restart). Guests are unique per
 * list and number, so no retry ever duplicates a guest.
 */
import {
  findOrCreateImport,
  finishImport,
  getImport,
  reopenImport,
  writeImportBatch,
} from '../db/campaigns.js';
import type { Db } from '../db/client.js';
import type { GuestImport, ImportFormat } from '../db/schema.js';
import type { AppDeps } from './deps.js';
import type { ImportNormaliser } from './guest-import.js';

/**
 * Rows per write transaction. 250, not 1,000: each batch's queries (a multi-row insert with `returning`, the
 * consent ledger's reads and writes) make garbage that lives across awaits; at 1,000 rows the API process peaked
 * at 405 MiB writing 60,000 rows, at 250 rows 307 MiB, at the same speed (BENCHMARKS.md, "Guest import").
 */
export const BATCH_ROWS = 250;
/** A `running` import whose progress has not moved for this long has lost its writer and may be resumed. */
export const STALE_IMPORT_MS = 60_000;

/** Imports this process is writing, by id (one writer per import per process). */
const writing = new Map<string, Promise<void>>();

async function writeAll(db: Db, imp: GuestImport, n: ImportNormaliser): Promise<void> {
  for (let first = 1; first <= imp.total; first += BATCH_ROWS) {
    const lastRow = Math.min(imp.total, first + BATCH_ROWS - 1);
    // Taken out of the normaliser: a written batch is no longer held.
    const { guests, rejected } = n.takeThrough(lastRow);
    if (lastRow <= imp.processed) continue; // committed by an earlier attempt
    await writeImportBatch(db, imp.id, { lastRow, guests, rejected });
  }
  await finishImport(db, imp.id);
}

/**
 * Create (or find) the import of a normalised upload and start writing it in the background. Returns the import
 * row and a promise of its end (the synchronous routes await it).
 */
export async function startImport(
  { db, logger }: Pick<AppDeps, 'db' | 'logger'>,
  args: { listId: string; contentKey: string; format: ImportFormat; rows: ImportNormaliser },
): Promise<{ row: GuestImport; done: Promise<void> }> {
  const { row: found, created } = await findOrCreateImport(db, {
    listId: args.listId,
    contentKey: args.contentKey,
    format: args.format,
    total: args.rows.received,
  });
  const inFlight = writing.get(found.id);
  if (inFlight) return { row: found, done: inFlight };
  let row = found;
  if (!created) {
    const reopened = await reopenImport(db, found.id, new Date(Date.now() - STALE_IMPORT_MS));
    if (!reopened) return { row: found, done: Promise.resolve() }; // completed, or written by another process
    row = reopened;
  }
  const done = writeAll(db, row, args.rows)
    .catch(async (err: unknown) => {
      const code = (err as { code?: unknown }).code;
      logger.error(
        {
          importId: row.id,
          errorName: (err as Error).name,
          ...(typeof code === 'string' && { errorCode: code }),
        },
        'guest import failed',
      );
      await finishImport(db, row.id, {
        error: 'the rows could not be written; post the same upload again to resume',
      }).catch(() => {});
    })
    .finally(() => writing.delete(row.id));
  writing.set(row.id, done);
  logger.info({ listId: args.listId, importId: row.id, rows: row.total }, 'guest import started');
  return { row, done };
}

/** Wait for every import this process is writing (tests, shutdown). */
export async function importsSettled(): Promise<void> {
  await Promise.all([...writing.values()]);
}

export { getImport };
