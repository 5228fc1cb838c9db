/**
 * A workflow-safe mutex built on `condition` (deterministic: no timers, no real concurrency). Handlers that
 * await activities run under it, as does each step of the workflow's main loop, so they never interleave
 * (temporalio/samples-typescript `message-passing/safe-message-handlers`).
 */
import { condition } from '@temporalio/workflow';

export class Lock {
  private held = false;

  async run<T>(fn: () => Promise<T>): Promise<T> {
    // Re-checked synchronously after each wake-up: of two waiters woken together, one takes it, one waits on.
    while (this.held) await condition(() => !this.held);
    this.held = true;
    try {
      return await fn();
    } finally {
      this.held = false;
    }
  }
}
