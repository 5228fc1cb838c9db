/**
 * The worker's workflows plus one probe for test/e2e/logs.test.ts: it runs activities that fail the way real
 * ones do (a duplicate phone, a NUL byte, a check constraint, a database that is briefly unreachable), under
 * the SDK's default retry policy (unlimited attempts), and reports how each ended.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';

export * from '../../workflows/index.js';

export interface ProbeActivities {
  probeDuplicatePhone(input: { name: string; phone: string }): Promise<void>;
  probeNulTitle(input: { phone: string; title: string }): Promise<void>;
  probeCheckConstraint(input: { note: string }): Promise<void>;
  probeFlakyDatabase(input: { failures: number }): Promise<string>;
}

export interface ProbeOutcome {
  probe: string;
  ok: boolean;
  type?: string;
  nonRetryable?: boolean;
  message?: string;
}

const acts = proxyActivities<ProbeActivities>({
  startToCloseTimeout: '10s',
  // No maximumAttempts: what stops a retry is the error being non-retryable, nothing else.
  retry: { initialInterval: '100ms', backoffCoefficient: 1 },
});

export async function logProbeWorkflow(input: {
  name: string;
  phone: string;
  title: string;
  note: string;
}): Promise<ProbeOutcome[]> {
  const runs: Array<[string, () => Promise<unknown>]> = [
    ['duplicatePhone', () => acts.probeDuplicatePhone({ name: input.name, phone: input.phone })],
    ['nulTitle', () => acts.probeNulTitle({ phone: input.phone, title: input.title })],
    ['checkConstraint', () => acts.probeCheckConstraint({ note: input.note })],
    ['flakyDatabase', () => acts.probeFlakyDatabase({ failures: 2 })],
  ];
  const outcomes: ProbeOutcome[] = [];
  for (const [probe, run] of runs) {
    try {
      await run();
      outcomes.push({ probe, ok: true });
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : err;
      outcomes.push({
        probe,
        ok: false,
        ...(cause instanceof ApplicationFailure && {
          type: cause.type ?? undefined,
          nonRetryable: cause.nonRetryable === true,
          message: cause.message,
        }),
      });
    }
  }
  return outcomes;
}
