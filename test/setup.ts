/**
 * Runs in every test file's process before its tests: the Temporal SDK logs through the project's sanitising
 * logger, warnings and errors only — worker start/stop INFO lines are not printed. Ask for more with
 * CREWLINE_TEST_LOGS=1 (info) or LOG_LEVEL=debug.
 */
import { testLogLevel } from './helpers/logs.js';
import { createLogger } from '../worker/logger.js';
import { installRuntime } from '../worker/runtime.js';

installRuntime(testLogLevel(), createLogger(testLogLevel(), 'test'), {
  // The Java time-skipping test server advertises no capabilities; production servers do.
  benignWarnings: ['Temporal Server 1.16.0 or newer is required'],
});
