/**
 * A wake-up timer that is kept while its due time stays the same (after samples-typescript
 * `timer-examples/updatable-timer.ts`).
 *
 * `condition(fn, timeout)` starts a new timer on every call and cancels it when `fn` becomes true first: a workflow
 * that waits in a loop and is woken by every signal writes two timer events per signal (TimerStarted,
 * TimerCanceled) although its next due time has not moved. `WakeTimer.wait` starts a timer only when the due time
 * changes, cancels the old one then, and otherwise waits on the timer already running.
 */
import { CancellationScope, condition, isCancellation, sleep } from '@temporalio/workflow';

export class WakeTimer {
  private armed: { atMs: number; scope: CancellationScope } | undefined;
  private firedFor: number | undefined;

  /**
   * Waits until `wake()` is true or the instant `atMs` has come (no deadline when `atMs` is undefined).
   * Resolves true when woken by `wake`, false when the due time came.
   */
  async wait(wake: () => boolean, atMs: number | undefined, now: number): Promise<boolean> {
    this.arm(atMs, now);
    await condition(() => wake() || (atMs !== undefined && this.firedFor === atMs));
    return wake();
  }

  /** The timer's due time, while one runs (for tests and queries). */
  get dueAtMs(): number | undefined {
    return this.armed?.atMs;
  }

  private arm(atMs: number | undefined, now: number): void {
    if (atMs === this.armed?.atMs) return;
    this.armed?.scope.cancel();
    this.armed = undefined;
    if (atMs === undefined || this.firedFor === atMs) return;
    const scope = new CancellationScope();
    this.armed = { atMs, scope };
    scope
      .run(() => sleep(Math.max(1, atMs - now)))
      .then(
        () => {
          this.firedFor = atMs;
          if (this.armed?.scope === scope) this.armed = undefined;
        },
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
        },
      );
  }
}
