import { Injectable, signal } from '@angular/core';

/** From this width the session list stays open beside the conversation; below it, the Sessions dialog lists them. */
export const WIDE_QUERY = '(min-width: 960px)';

/** Whether the window is wide enough for the side panel, following resizes and rotation. */
@Injectable({ providedIn: 'root' })
export class Layout {
  private readonly wideState = signal(false);
  readonly wide = this.wideState.asReadonly();

  constructor() {
    const query = typeof globalThis.matchMedia === 'function' ? globalThis.matchMedia(WIDE_QUERY) : null;
    if (!query) return;
    this.wideState.set(query.matches);
    query.addEventListener?.('change', (event) => this.wideState.set(event.matches));
  }
}
