import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Runtime } from '@temporalio/worker';
import { sanitizingActivityInterceptors } from '../../worker/interceptors.js';

/**
 * An activity run outside a worker, as a worker runs it: behind the error-sanitising interceptor, logging through
 * the process's SDK logger (quiet in tests; test/setup.ts) instead of MockActivityEnvironment's own INFO console
 * logger.
 */
export function activityEnvironment(info?: Partial<Info>): MockActivityEnvironment {
  return new MockActivityEnvironment(info, {
    logger: Runtime.instance().logger,
    interceptors: [sanitizingActivityInterceptors],
  });
}
