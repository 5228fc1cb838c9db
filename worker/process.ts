import type { Config } from './config.js';
import type { Logger } from './logger.js';

/** Run `cleanup` once on SIGINT/SIGTERM, then exit. A second Ctrl-C exits at once. */
export function onShutdown(logger: Logger, cleanup: () => Promise<void>): void {
  let shuttingDown = false;
  const handler = (signal: string) => {
    if (shuttingDown) process.exit(130);
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
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
