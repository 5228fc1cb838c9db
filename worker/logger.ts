import { pino, type Logger } from 'pino';

/**
 * Structured logs. Phone numbers, message bodies and names are never logged: log ids instead.
 * The redact list is a second line of defence for fields that slip through.
 */
export function createLogger(level: string, name = 'crewline'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        'phone',
        'to',
        'from',
        'body',
        'email',
        '*.phone',
        '*.to',
        '*.from',
        '*.body',
        '*.name',
        '*.email',
      ],
      censor: '[redacted]',
    },
  });
}
export type { Logger };
