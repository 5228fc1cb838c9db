import type { Config } from './config.js';
import type { Logger } from './logger.js';

/**
 * Run `cleanup` once on SIGINT/SIGTERM, then exit. A second Ctrl-C exits at once — but not one that arrives
 * within a second of the first: Ctrl-C signals the whole process group and `tsx` relays the same signal to us
 * again, so one key press arrives twice.
 */
export function onShutdown(logger: Logger, cleanup: () => Promise<void>): void {
  let shuttingDownAt = 0;
  const handler = (signal: string) => {
    if (shuttingDownAt) {
      if (Date.now() - shuttingDownAt > 1_000) process.exit(130);
      return;
    }
    shuttingDownAt = Date.now();
    logger.info({ signal }, 'shutting down');
    // Waiting on the Temporal SDK's native calls holds no event-loop handle: without this, the loop can run
    // empty mid-cleanup and the process would exit (through 'beforeExit') before everything is stopped.
    setInterval(() => {}, 1_000);
    cleanup().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: (err as Error).message }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => handler('SIGINT'));
  process.on('SIGTERM', () => handler('SIGTERM'));
}

export function requireExternal(config: Config): { databaseUrl: string; temporalAddress: string } {
  const missing = [
    !config.databaseUrl && 'DATABASE_URL',
    !config.temporal.address && 'TEMPORAL_ADDRESS',
  ].filter(Boolean);
  if (missing.length) {
    throw new Error(
      `${missing.join(' and ')} must be set for this command (use "npm start" for the all-in-one local stack).`,
    );
  }
  return { databaseUrl: config.databaseUrl!, temporalAddress: config.temporal.address! };
}
