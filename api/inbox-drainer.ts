/**
 * Delivers inbound texts that could not be routed when they arrived (Temporal unreachable, or a routing claim
 * left by a process that died), oldest first, every few seconds. Runs in the API process (api/ owns inbound
 * routing; the worker imports nothing from api/).
 */
import { drainInbox, type InboundDeps } from './inbound.js';

interface DrainerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Starts the drainer; the returned function stops it after the tick in progress. */
export function startInboxDrainer(deps: InboundDeps, logger: DrainerLogger, everyMs = 5_000) {
  let stopped = false;
  let running: Promise<void> = Promise.resolve();
  const tick = async () => {
    try {
      const { routed } = await drainInbox(deps);
      if (routed) logger.info({ routed }, 'inbox drained');
    } catch (err) {
      logger.warn({ err: (err as Error).name, code: (err as { code?: string }).code }, 'inbox drain failed');
    }
  };
  const timer = setInterval(() => {
    if (!stopped) running = running.then(tick);
  }, everyMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
