import { Injectable, signal } from '@angular/core';

/** Longest wait for the first paint: a hidden tab paints no frames, and what waits must not wait for ever. */
const AT_THE_LATEST_MS = 3000;

/**
 * The first screen of a page load (the open session's newest messages, a sign-in form, a problem)
 * has been painted. Work the first paint does not need (the live events stream, looking for a
 * running answer, the model check, the session list) waits for it, so that until then the
 * browser's few connections and its one main thread serve what the person is waiting to see.
 */
@Injectable({ providedIn: 'root' })
export class FirstPaint {
  private readonly paintedState = signal(false);
  private waiting: (() => void)[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  readonly painted = this.paintedState.asReadonly();

  /** Runs `task` once the first screen is painted (at once when it already is). */
  then(task: () => void): void {
    if (this.paintedState()) return task();
    this.waiting.push(task);
    this.timer ??= setTimeout(() => this.done(), AT_THE_LATEST_MS);
  }

  /** The first screen is on the glass: what waited runs now. */
  done(): void {
    if (this.paintedState()) return;
    this.paintedState.set(true);
    if (this.timer !== null) clearTimeout(this.timer);
    const tasks = this.waiting;
    this.waiting = [];
    for (const task of tasks) task();
  }
}
