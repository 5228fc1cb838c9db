import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';

export const historiesDir = path.resolve(import.meta.dirname, '../histories');

/**
 * With CAPTURE_HISTORIES=1, a test saves the history of a real run under test/histories/ so that the replay
 * test checks every later change of workflow code against it (commit the file).
 */
export async function captureHistory(name: string, handle: WorkflowHandle): Promise<void> {
  if (process.env.CAPTURE_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  await mkdir(historiesDir, { recursive: true });
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils.js');
  await writeFile(path.join(historiesDir, `${name}.json`), historyToJSON(history));
}

/**
 * As `captureHistory`, for a run whose payloads the codec sealed (db/payload-codec.ts): they are decoded with the
 * given codec (its keys still alive) before the history is saved, so the committed history is plaintext like the
 * others and replays without its keys. The marking fields (`subject`, `alsoAbout`) stay, as a run without the
 * codec would have stored them.
 */
export async function captureDecodedHistory(
  name: string,
  handle: WorkflowHandle,
  codec: PayloadCodec,
): Promise<void> {
  if (process.env.CAPTURE_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  const payloads: Payload[] = [];
  const collect = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) collect(x);
    else if (v && typeof v === 'object') {
      const p = v as Payload;
      if (p.data instanceof Uint8Array && p.metadata) payloads.push(p);
      else for (const x of Object.values(v)) collect(x);
    }
  };
  collect(history.events);
  const decoded = await codec.decode(payloads);
  payloads.forEach((p, i) => {
    p.metadata = decoded[i]!.metadata;
    p.data = decoded[i]!.data;
  });
  await mkdir(historiesDir, { recursive: true });
  const { historyToJSON } = await import('@temporalio/common/lib/proto-utils.js');
  await writeFile(path.join(historiesDir, `${name}.json`), historyToJSON(history));
}
