/**
 * Starts the namespace's one retention purge workflow if it is not running (issue 12), and checks the namespace's
 * own retention against the policy: closed workflows' histories must not outlive the data the purge removes.
 */
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { RETENTION_WORKFLOW_ID, TASK_QUEUE } from '../workflows/ids.js';
import { maxNamespaceRetentionDays, type RetentionPolicy } from '../workflows/retention/values.js';
import type { Logger } from './logger.js';

export async function ensureRetentionPurge(
  client: Client,
  retention: { policy: RetentionPolicy; purgeHourUtc: number },
  logger: Logger,
): Promise<void> {
  await client.workflow.start('retentionPurgeWorkflow', {
    taskQueue: TASK_QUEUE,
    workflowId: RETENTION_WORKFLOW_ID,
    args: [{ hourUtc: retention.purgeHourUtc }],
    // Every worker and API process may call this at start: the first one starts it, the others find it running.
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: 'Daily retention purge of expired personal data',
  });
  const described = await client.workflowService
    .describeNamespace({ namespace: client.options.namespace })
    .catch(() => undefined); // a key without namespace rights (Temporal Cloud): nothing to compare
  if (!described) return;
  const { namespaceInfo, config } = described;
  const seconds = Number(config?.workflowExecutionRetentionTtl?.seconds ?? 0);
  const days = seconds / 86_400;
  const limit = maxNamespaceRetentionDays(retention.policy);
  if (days > limit)
    logger.warn(
      { namespace: namespaceInfo?.name, namespaceRetentionDays: days, maxDays: limit },
      'the namespace keeps closed workflow histories longer than the retention policy keeps texts and reflections: ' +
        'lower it (temporal operator namespace update --retention) or raise RETENTION_*',
    );
}
