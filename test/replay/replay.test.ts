/**
 * The compatibility contract: every history committed under test/histories/ (captured from real runs, of every
 * entity and messaging workflow) must replay against the current workflow code. The workflow type comes from
 * each history's start event. A change that breaks one needs `patched()` (or worker versioning) — README,
 * "Workflow versioning".
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createSubjectCodec } from '../../db/payload-codec.js';
import type { DataKey, SubjectKeyStore } from '../../db/subject-keys.js';
import { workflowsPath } from '../../worker/worker.js';
import * as registered from '../../workflows/index.js';
import { historiesDir } from '../helpers/histories.js';

/**
 * Replay encodes the commands it produces (e.g. marked activity inputs), so its codec needs keys: in memory
 * here. Decoding never needs one, as the committed histories are plaintext and pass through.
 */
const keys = new Map<string, DataKey>();
const MEMORY_KEYS: SubjectKeyStore = {
  keyForSubject: async (subject) => {
    if (!keys.has(subject))
      keys.set(subject, { subject, keyId: `replay-${keys.size}`, key: randomBytes(32) });
    return keys.get(subject)!;
  },
  keyById: () => Promise.reject(new Error('a committed history must decode without a subject key')),
};

const files = (await readdir(historiesDir)).filter((f) => f.endsWith('.json')).sort();
const histories = await Promise.all(
  files.map(async (f) => {
    const history = historyFromJSON(JSON.parse(await readFile(path.join(historiesDir, f), 'utf8')));
    const type =
      history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '(no start event)';
    return { file: f, workflowId: path.basename(f, '.json'), type, history };
  }),
);

describe('replay of committed histories', () => {
  it('has histories of the member and of the messaging workflows, each of a workflow the worker runs', () => {
    const types = new Set(histories.map((h) => h.type));
    expect(types).toContain('memberWorkflow');
    expect(types).toContain('messageWorkflow');
    expect(types).toContain('bulkMessageWorkflow');
    expect(types).toContain('crewChallengeWorkflow');
    expect(types).toContain('mentorWorkflow');
    expect(types).toContain('mentorshipMatchWorkflow');
    expect(types).toContain('mentorshipCohortWorkflow');
    for (const h of histories) expect(Object.keys(registered), h.file).toContain(h.type);
  });

  it('replays every history without nondeterminism', async () => {
    const replayed: string[] = [];
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories(
      {
        workflowsPath,
        replayName: 'ci-replay',
        // As the workers run: the committed histories are plaintext, and the codec passes through what it did
        // not seal.
        dataConverter: { payloadCodecs: [createSubjectCodec(MEMORY_KEYS)] },
      },
      histories.map(({ workflowId, history }) => ({ workflowId, history })),
    )) {
      replayed.push(result.workflowId);
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed.sort()).toEqual(histories.map((h) => h.workflowId).sort());
  }, 120_000);
});
