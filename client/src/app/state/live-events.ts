import { Injectable, effect, inject, signal, untracked } from '@angular/core';
import { ApiConfiguration } from '../api/api-configuration';
import { Message, Session } from '../core/api-types';
import { IdentityStore } from '../core/identity-store';
import { isStreamRefused, SseEvent } from './sse-types';

/** What GET /api/events announces (LiveEventDto). */
export interface LiveEvent {
  type: string;
  session_id: string;
  session?: Session;
  changes?: string[];
  message?: Message;
  status?: string;
}

export type LiveEventListener = (event: LiveEvent) => void;

/** Reconnect delays after the stream drops: quick at first, then at most every 15 s. */
const RETRY_MS = [500, 1000, 2000, 5000, 15_000];

/**
 * Changes to my sessions made in other tabs or devices, as they happen: one GET /api/events
 * stream per tab while an identity is known, reopened by itself when it drops (e.g. a server
 * restart ends it with `interrupted`).
 */
@Injectable({ providedIn: 'root' })
export class LiveEvents {
  private readonly config = inject(ApiConfiguration);
  private readonly identity = inject(IdentityStore);
  private readonly listeners = new Set<LiveEventListener>();
  private readonly readyListeners = new Set<() => void>();
  private controller: AbortController | null = null;
  /**
   * Off until the app has opened its session: at load the browser's few connections to the server
   * go to what the first paint needs (the session, its history), not to a stream that waits.
   */
  private readonly enabled = signal(false);

  constructor() {
    effect(() => {
      const token = this.enabled() ? this.identity.token() : null;
      untracked(() => this.connect(token));
    });
  }

  /** Starts following (once the page shows its session). */
  enable(): void {
    this.enabled.set(true);
  }

  /**
   * Calls `listener` each time the stream is (re)subscribed: what changed while it was not (the page
   * loading, a dropped connection) was not announced to this tab. Returns the unsubscribe.
   */
  onReady(listener: () => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /** Calls `listener` for every event; returns the unsubscribe. */
  on(listener: LiveEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private connect(token: string | null): void {
    this.controller?.abort();
    this.controller = null;
    if (!token || typeof fetch !== 'function') return;
    const controller = new AbortController();
    this.controller = controller;
    void this.run(token, controller);
  }

  private async run(token: string, controller: AbortController): Promise<void> {
    for (let attempt = 0; !controller.signal.aborted; attempt++) {
      try {
        const { getEventStream } = await import('./sse');
        await getEventStream(`${this.config.rootUrl}/api/events`, token, controller.signal, (event) => {
          attempt = 0;
          this.dispatch(event);
        });
      } catch (error) {
        // A refused token is noted (the app then asks what to do); anything else is tried again below.
        if (isStreamRefused(error) && error.status === 401) return this.identity.markLost(token);
      }
      if (controller.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]));
    }
  }

  private dispatch(event: SseEvent): void {
    if (event.event === 'ready') {
      for (const listener of this.readyListeners) listener();
      return;
    }
    if (event.event === 'interrupted') return;
    let data: LiveEvent;
    try {
      data = JSON.parse(event.data) as LiveEvent;
    } catch {
      return;
    }
    if (typeof data?.session_id !== 'string') return;
    for (const listener of this.listeners) listener(data);
  }
}
