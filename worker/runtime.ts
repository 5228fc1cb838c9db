/**
 * The Temporal SDK's own logs — worker lifecycle, "Activity failed" warnings, workflow `log`, and the native
 * core's logs (forwarded) — written through the project's pino logger and its redaction (worker/logger.ts),
 * instead of the SDK's default console logger, which prints errors with their full messages.
 *
 * Imports only the SDK's runtime modules (not the whole worker package with its bundler), so that the test
 * setup, which runs before every test file, stays cheap.
 */
import type { LogLevel } from '@temporalio/common';
import { Runtime } from '@temporalio/worker/lib/runtime.js';
import { makeTelemetryFilterString } from '@temporalio/worker/lib/runtime-options.js';
import { createLogger, temporalLogger, type Logger } from './logger.js';

interface SdkLogs {
  logger: Logger;
  level: LogLevel;
  benign: readonly string[];
}
/** Per process (the Runtime is), whatever module instance asks. */
const STATE = Symbol.for('crewline.sdkLogs');
const state = globalThis as { [STATE]?: SdkLogs };

/** SDK warnings about what this project does on purpose: logged at debug. */
const BENIGN_SDK_WARNINGS = [
  // The paced SMS worker polls activities only.
  'No workflows registered, not polling for workflow tasks',
];

/** The SDK level for a LOG_LEVEL: warnings and errors only, unless LOG_LEVEL asks for debug (or trace). */
export function sdkLogLevel(logLevel: string): LogLevel {
  return logLevel === 'trace' ? 'TRACE' : logLevel === 'debug' ? 'DEBUG' : 'WARN';
}

/**
 * Warnings and errors only, unless LOG_LEVEL asks for debug. The first call installs the Runtime (call it
 * before any connection or worker is made) — with `metricsAddress`, also the SDK's Prometheus endpoint
 * (WORKER_METRICS_ADDRESS); a later call sends the SDK's lines to another logger (tests
 * capture them). The native core's level is fixed by the first call.
 */
export function installRuntime(
  logLevel: string,
  logger: Logger = createLogger(logLevel, 'temporal'),
  opts: {
    benignWarnings?: readonly string[];
    /** host:port where the SDK serves its own Prometheus metrics (`/metrics`); unset = none. */
    metricsAddress?: string | undefined;
  } = {},
): void {
  const level = sdkLogLevel(logLevel);
  const first = !state[STATE];
  state[STATE] = { logger, level, benign: [...BENIGN_SDK_WARNINGS, ...(opts.benignWarnings ?? [])] };
  if (!first) return;
  Runtime.install({
    logger: temporalLogger(() => state[STATE]!),
    telemetryOptions: {
      logging: {
        forward: {},
        filter: makeTelemetryFilterString({ core: level, other: 'ERROR' }),
      },
      // The SDK's own metrics (task latencies, poll results, sticky cache, activity/workflow outcomes), with
      // `temporal_` names; `_total` counters and seconds, as Prometheus expects.
      ...(opts.metricsAddress && {
        metrics: {
          prometheus: {
            bindAddress: opts.metricsAddress,
            countersTotalSuffix: true,
            useSecondsForDurations: true,
          },
        },
      }),
    },
  });
}
