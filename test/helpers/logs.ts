import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../worker/logger.js';

/** The log level of test processes: warn unless CREWLINE_TEST_LOGS=1 (info) or LOG_LEVEL says otherwise. */
export function testLogLevel(): string {
  return process.env.LOG_LEVEL ?? (process.env.CREWLINE_TEST_LOGS === '1' ? 'info' : 'warn');
}

/** A project logger (the real one, with its redaction) that keeps every line it writes. */
export function captureLogger(level = 'trace', name = 'capture'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      done();
    },
  });
  return { logger: createLogger(level, name, stream), lines };
}
