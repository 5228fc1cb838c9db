import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';

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
