/**
 * The typed failure contract between workflows/activities and the API. A workflow validator (update) or an
 * activity that refuses input it can never accept throws `invalidInput(field, message)`: a non-retryable
 * ApplicationFailure of type `InvalidInput` whose details carry `[{ field, message }]`. The API maps it to
 * 422 with `errors[]` read from the details (never parsed from the message text). Pure: workflows import it.
 */
import { ApplicationFailure } from '@temporalio/common';

export const INVALID_INPUT = 'InvalidInput';

export interface FieldError {
  field: string;
  message: string;
}

export function invalidInput(field: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: INVALID_INPUT,
    message: `${field}: ${message}`,
    details: [{ field, message } satisfies FieldError],
    nonRetryable: true,
  });
}

/** The field errors of a failure thrown by `invalidInput` (anywhere in its cause chain), else null. */
export function fieldErrorsOf(err: unknown): FieldError[] | null {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ApplicationFailure && e.type === INVALID_INPUT) {
      const details = (e.details ?? []).filter(
        (d): d is FieldError =>
          typeof d === 'object' && d !== null && typeof (d as FieldError).field === 'string',
      );
      return details.length ? details : [{ field: 'body', message: e.message }];
    }
  }
  return null;
}
