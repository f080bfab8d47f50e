import { Injectable, signal } from '@angular/core';

/** "Now", refreshed every 30 s, so relative times ("5 min ago", "expires in 40 min") stay true. */
@Injectable({ providedIn: 'root' })
export class Clock {
  private readonly nowState = signal(Date.now());
  readonly now = this.nowState.asReadonly();

  constructor() {
    setInterval(() => this.nowState.set(Date.now()), 30_000);
  }
}
