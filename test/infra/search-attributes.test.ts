/**
 * The member search attributes exist on every server the project runs: the time-skipping test server, the CLI
 * dev server (flags), and a server that lacks them (ensureSearchAttributes, as `npm run worker` does).
 * No worker runs: the workflows only carry search attributes, nobody polls their task queue, and they are
 * terminated.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { temporalCliExecutable } from '../../scripts/tools.js';
import {
  devServerSearchAttributeArgs,
  ensureSearchAttributes,
  searchAttributeCreateCommand,
} from '../../worker/search-attributes.js';
import { MEMBER_ID_SA, MEMBER_STATUS_SA, RISK_LEVEL_SA } from '../../workflows/member/search-attributes.js';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.js';
import { devServerEnv, timeSkippingEnv, waitFor } from '../helpers/temporal.js';

const TASK_QUEUE = 'search-attributes-test';

function startMember(client: Client, memberId: string, status: string, risk: string) {
  return client.workflow.start('memberWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId: `member-${memberId}`,
    typedSearchAttributes: [
      { key: MEMBER_ID_SA, value: memberId },
      { key: MEMBER_STATUS_SA, value: status },
      { key: RISK_LEVEL_SA, value: risk },
    ],
  });
}

async function expectAttributes(handle: WorkflowHandle, memberId: string, status: string, risk: string) {
  const { typedSearchAttributes: sa } = await handle.describe();
  expect([sa.get(MEMBER_ID_SA), sa.get(MEMBER_STATUS_SA), sa.get(RISK_LEVEL_SA)]).toEqual([
    memberId,
    status,
    risk,
  ]);
}

/** The server's reason a call failed (the client wraps it: "Failed to start Workflow", cause: the gRPC error). */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    const { message, cause } = err as Error & { cause?: { details?: string } };
    return `${message}: ${cause?.details ?? ''}`;
  }
  throw new Error('expected a rejection');
}

async function listIds(client: Client, query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids.sort();
}

it('derives the dev server flags and the operator command from every entity search attribute', () => {
  expect(devServerSearchAttributeArgs()).toEqual([
    '--search-attribute',
    'CrewlineMemberId=Keyword',
    '--search-attribute',
    'CrewlineMemberStatus=Keyword',
    '--search-attribute',
    'CrewlineRiskLevel=Keyword',
    '--search-attribute',
    'CrewlineCrewId=Keyword',
    '--search-attribute',
    'CrewlineChallengeStatus=Keyword',
    '--search-attribute',
    'CrewlineMemberIds=KeywordList',
    '--search-attribute',
    'CrewlineMentorId=Keyword',
    '--search-attribute',
    'CrewlineMatchStatus=Keyword',
    '--search-attribute',
    'CrewlineCohortId=Keyword',
    '--search-attribute',
    'CrewlineCampaignId=Keyword',
    '--search-attribute',
    'CrewlineCampaignStatus=Keyword',
  ]);
  expect(searchAttributeCreateCommand('default')).toBe(
    'temporal operator search-attribute create --namespace default ' +
      '--name CrewlineMemberId --name CrewlineMemberStatus --name CrewlineRiskLevel ' +
      '--name CrewlineCrewId --name CrewlineChallengeStatus --name CrewlineMentorId --name CrewlineMatchStatus ' +
      '--name CrewlineCohortId ' +
      '--name CrewlineCampaignId --name CrewlineCampaignStatus --type Keyword && ' +
      'temporal operator search-attribute create --namespace default --name CrewlineMemberIds --type KeywordList',
  );
});

/** A connection whose operator service refuses everything (Temporal Cloud, a restricted identity). */
function restrictedConnection(known: string[]) {
  const grpcError = (code: number, details: string) =>
    Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
  return {
    operatorService: {
      listSearchAttributes: () => Promise.reject(grpcError(7, 'Request unauthorized.')),
      addSearchAttributes: () => Promise.reject(grpcError(7, 'Request unauthorized.')),
    },
    workflowService: {
      countWorkflowExecutions: ({ query }: { query: string }) =>
        known.includes(query.split(' ')[0]!)
          ? Promise.resolve({ count: 0 })
          : Promise.reject(grpcError(3, 'invalid query')),
    },
  } as unknown as Parameters<typeof ensureSearchAttributes>[0];
}

describe('without permission to register', () => {
  const all = [
    'CrewlineMemberId',
    'CrewlineMemberStatus',
    'CrewlineRiskLevel',
    'CrewlineCrewId',
    'CrewlineChallengeStatus',
    'CrewlineMemberIds',
    'CrewlineMentorId',
    'CrewlineMatchStatus',
    'CrewlineCohortId',
    'CrewlineCampaignId',
    'CrewlineCampaignStatus',
  ];

  it('starts when the attributes are there (probed with a visibility query)', async () => {
    expect(await ensureSearchAttributes(restrictedConnection(all), 'prod')).toEqual([]);
  });

  it('fails with the missing names and the command to run', async () => {
    await expect(
      ensureSearchAttributes(restrictedConnection([...all.slice(0, 2), ...all.slice(3)]), 'prod'),
    ).rejects.toThrow(
      ': CrewlineRiskLevel missing and not permitted to register them. Register them once with: ' +
        'temporal operator search-attribute create --namespace prod',
    );
  });
});

describe('time-skipping test server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await timeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('starts a member workflow with the attributes and describes them', async () => {
    const id = randomUUID();
    const handle = await startMember(env.client, id, 'active', 'high');
    await expectAttributes(handle, id, 'active', 'high');
    await handle.terminate();
  });

  it('still rejects attributes nobody registered, and ensuring again adds nothing', async () => {
    const unknown = defineSearchAttributeKey('CrewlineUnknown', 'KEYWORD');
    expect(
      await rejection(
        env.client.workflow.start('memberWorkflow', {
          taskQueue: TASK_QUEUE,
          workflowId: `member-${randomUUID()}`,
          typedSearchAttributes: [{ key: unknown, value: 'x' }],
        }),
      ),
    ).toMatch(/CrewlineUnknown is not defined/);
    expect(await ensureSearchAttributes(env.connection, 'default')).toEqual([]);
  });
});

describe('CLI dev server', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await devServerEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('filters members by risk level and status, as the Web UI does', async () => {
    const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
    const handles = [
      await startMember(env.client, a, 'active', 'high'),
      await startMember(env.client, b, 'active', 'low'),
      await startMember(env.client, c, 'opted_out', 'high'),
    ];
    await expectAttributes(handles[2]!, c, 'opted_out', 'high');
    // Visibility is eventually consistent.
    const high = [`member-${a}`, `member-${c}`].sort();
    await waitFor(
      async () =>
        JSON.stringify(await listIds(env.client, 'CrewlineRiskLevel = "high"')) === JSON.stringify(high),
      'the high-risk members to be listed',
    );
    expect(await listIds(env.client, 'CrewlineMemberStatus = "opted_out"')).toEqual([`member-${c}`]);
    expect(await listIds(env.client, `CrewlineMemberId = "${b}"`)).toEqual([`member-${b}`]);
    expect(await ensureSearchAttributes(env.connection, 'default')).toEqual([]);
    await Promise.all(handles.map((h) => h.terminate()));
  });
});

describe('a server without the attributes (an existing cluster, or an old .data/temporal.db)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: await temporalCliExecutable(),
        ip: '127.0.0.1',
        extraArgs: ['--log-level', 'error'],
      },
    });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('ensureSearchAttributes registers them, and a workflow can be started with them right after', async () => {
    const id = randomUUID();
    expect(await rejection(startMember(env.client, id, 'active', 'medium'))).toMatch(/Crewline/);
    expect(await ensureSearchAttributes(env.connection, 'default')).toEqual([
      'CrewlineMemberId',
      'CrewlineMemberStatus',
      'CrewlineRiskLevel',
      'CrewlineCrewId',
      'CrewlineChallengeStatus',
      'CrewlineMemberIds',
      'CrewlineMentorId',
      'CrewlineMatchStatus',
      'CrewlineCohortId',
      'CrewlineCampaignId',
      'CrewlineCampaignStatus',
    ]);
    const handle = await startMember(env.client, id, 'active', 'medium');
    await expectAttributes(handle, id, 'active', 'medium');
    expect(await ensureSearchAttributes(env.connection, 'default')).toEqual([]);
    await handle.terminate();
  });
});

it("the README's create commands name every registered attribute with its type", async () => {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  // Shell line continuations joined, then one command per line.
  const joined = readme.replaceAll('\\\n', ' ');
  const commands = joined.match(/temporal operator search-attribute create[^\n]*/g) ?? [];
  const named = new Map<string, string>();
  for (const command of commands) {
    const type = /--type (\w+)/.exec(command)?.[1];
    for (const [, name] of command.matchAll(/--name (\w+)/g)) named.set(name!, type!);
  }
  const registered = new Map(
    SEARCH_ATTRIBUTES.map((k) => [k.name, k.type === 'KEYWORD_LIST' ? 'KeywordList' : 'Keyword']),
  );
  expect(Object.fromEntries(named)).toEqual(Object.fromEntries(registered));
});
