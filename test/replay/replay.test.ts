/**
 * Determinism guard: every history committed under test/histories/ (captured from real runs) must replay
 * against the current workflow code. A change that alters running histories needs `patched()`.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowsPath } from '../../worker/worker.js';
import { historiesDir } from '../helpers/histories.js';

const files = (await readdir(historiesDir)).filter((f) => f.endsWith('.json')).sort();

describe('replay of committed histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('replays every history without nondeterminism', async () => {
    const histories = await Promise.all(
      files.map(async (f) => ({
        workflowId: path.basename(f, '.json'),
        history: historyFromJSON(JSON.parse(await readFile(path.join(historiesDir, f), 'utf8'))),
      })),
    );
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath, replayName: 'ci-replay' },
      histories,
    )) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
