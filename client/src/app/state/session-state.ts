import { DestroyRef, Injectable, computed, effect, inject, signal } from '@angular/core';
import { Api } from '../api/api';
import { listPersonas } from '../api/fn/personas/list-personas';
import { problemOf, statusOf } from '../core/api-error';
import { Me, MessagePage, NewSession, Persona, Session, SessionUpdate, SessionUpdated } from '../core/api-types';
import { STORAGE_KEYS, tabStorage } from '../core/browser-storage';
import { HistoryMode, SessionUrl } from '../core/session-url';
import { IdentityStore } from '../core/identity-store';
import { AuthState } from './auth-state';
import { createGuestIdentity } from '../api/fn/identity/create-guest-identity';
import { createSession } from '../api/fn/sessions/create-session';
import { getCurrentIdentity } from '../api/fn/identity/get-current-identity';
import { getSession } from '../api/fn/sessions/get-session';
import { listSessions } from '../api/fn/sessions/list-sessions';
import { listSessionMessages } from '../api/fn/sessions/list-session-messages';
import { updateSession } from '../api/fn/sessions/update-session';
import { getHealth } from '../api/fn/health/get-health';
import { LiveEvents } from './live-events';
import { markStartup } from '../core/perf-marks';
import { FirstPaint } from '../core/first-paint';
import { forgetSentAhead, MESSAGE_PAGE_SIZE } from '../core/start-requests';

/**
 * 'lost': the server refused the stored guest identity; the person chooses what happens next.
 * 'signed-out': the server wants a sign-in first (see AuthState.signIn).
 */
export type StartPhase = 'starting' | 'ready' | 'failed' | 'lost' | 'signed-out';

export { MESSAGE_PAGE_SIZE } from '../core/start-requests';

/** Said when a link or back/forward names a session that is gone or not mine. */
export const SESSION_GONE = 'That session no longer exists (it may have expired or been deleted).';

/** Shown at load when GET /health says no model is configured (the same words as a refused send). */
export const MODEL_NOT_SET_UP = 'Chat is not set up on this server yet. Tell the administrator; messages cannot be answered until then.';

type Settled<T> = PromiseSettledResult<T>;
interface ResumeAnswers {
  sessionId: string | null;
  answers: Promise<[Settled<Me>, Settled<void>, Settled<Session | null>, Settled<MessagePage | null>]>;
}

/**
 * The app's root state: who I am, the persona catalogue and the open session. Start-up gets (or
 * recovers) the guest identity and reopens the last session, or creates a first one.
 */
@Injectable({ providedIn: 'root' })
export class SessionState {
  private readonly api = inject(Api);
  private readonly identity = inject(IdentityStore);
  private readonly live = inject(LiveEvents);
  private readonly auth = inject(AuthState);
  private readonly url = inject(SessionUrl);
  private readonly firstPaint = inject(FirstPaint);

  private readonly personasState = signal<Persona[]>([]);
  private readonly defaultPersonaState = signal('');
  private readonly currentState = signal<Session | null>(null);
  private readonly phaseState = signal<StartPhase>('starting');
  private readonly problemState = signal<string | null>(null);
  private readonly noticeState = signal<string | null>(null);
  private readonly modelNoticeState = signal<string | null>(null);
  /** The reopened session's newest history page, fetched together with the session at start. */
  private prefetched: { sessionId: string; page: MessagePage } | null = null;

  readonly personas = this.personasState.asReadonly();
  readonly defaultPersona = this.defaultPersonaState.asReadonly();
  readonly current = this.currentState.asReadonly();
  readonly phase = this.phaseState.asReadonly();
  /** Why start-up failed, in words a person can act on. */
  readonly problem = this.problemState.asReadonly();
  /** Something to tell once (a link to a session that is gone); read with takeNotice. */
  readonly notice = this.noticeState.asReadonly();
  /** Chat is not set up on this server (GET /health at load): what the administrator must set. */
  readonly modelNotice = this.modelNoticeState.asReadonly();
  readonly currentId = computed(() => this.currentState()?.session_id ?? null);
  readonly currentPersona = computed(() => this.personaFor(this.currentState()?.persona));
  /** The server no longer knows my identity (at start, or refused later while in use). */
  readonly identityLost = computed(() => this.phaseState() === 'lost' || this.identity.lost());

  /** The history page fetched at start for this session, once; null otherwise. */
  takePrefetchedHistory(sessionId: string): MessagePage | null {
    const prefetched = this.prefetched;
    this.prefetched = null;
    return prefetched?.sessionId === sessionId ? prefetched.page : null;
  }

  personaFor(key: string | undefined): Persona | undefined {
    return key === undefined ? undefined : this.personasState().find((p) => p.key === key);
  }

  personaName(key: string | undefined): string {
    return this.personaFor(key)?.name ?? key ?? '';
  }

  async start(): Promise<void> {
    this.phaseState.set('starting');
    this.problemState.set(null);
    try {
      // With a stored token the session and its history are asked for at once, beside the
      // server's sign-in settings: the conversation is one round trip away, not two.
      const early = this.identity.token() ? this.askResume() : null;
      if (!this.auth.settings()) await this.auth.load();
      const reopened = this.auth.hasCredentials() ? await this.resume(early ?? this.askResume()) : false;
      if (this.identity.lost()) {
        this.phaseState.set('lost');
        return;
      }
      if (!reopened && this.auth.signIn()) {
        this.currentState.set(null);
        this.phaseState.set('signed-out');
        return;
      }
      if (!reopened) await this.startFresh();
      this.phaseState.set('ready');
      // The stream waits for the conversation to be on screen: it only matters after that.
      this.firstPaint.then(() => this.live.enable());
    } catch (error) {
      this.problemState.set(problemOf(error).message);
      this.phaseState.set('failed');
    } finally {
      forgetSentAhead();
    }
  }

  /** The person's choice after losing the identity: a new guest identity and a first session. */
  async startOver(): Promise<void> {
    this.identity.set(null);
    tabStorage.set(STORAGE_KEYS.session, null);
    this.currentState.set(null);
    await this.start();
  }

  /** The other choice: ask again with the same identity (the server's data may be back). */
  async retryIdentity(): Promise<void> {
    this.identity.retryLost();
    await this.start();
  }

  /** Creates a session and opens it at once. */
  async createSession(input: NewSession, mode: HistoryMode = 'push'): Promise<Session> {
    const session = await this.api.invoke(createSession, { body: input });
    this.open(session, mode);
    return session;
  }

  /** Opens one of my sessions; false when it no longer exists. */
  async openSession(sessionId: string, mode: HistoryMode = 'push'): Promise<boolean> {
    try {
      this.open(await this.api.invoke(getSession, { id: sessionId }), mode);
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  /** The notice, once. */
  takeNotice(): string | null {
    const notice = this.noticeState();
    this.noticeState.set(null);
    return notice;
  }

  constructor() {
    // The tab is named after the open session.
    effect(() => this.url.title(this.currentState()?.display_name ?? null));
    // Back and forward open the session of that history entry.
    const stopNavigating = this.url.onNavigate((sessionId) => void this.navigated(sessionId));
    inject(DestroyRef).onDestroy(stopNavigating);
    // What changed while this tab was not following (a title generated while it loaded): read again.
    this.live.onReady(() => void this.refreshCurrent());
    // The open session renamed, pinned or deleted in another tab or device.
    this.live.on((event) => {
      if (event.type === 'session.updated' && event.session) this.sessionUpdated(event.session);
      else if (event.type === 'session.deleted') void this.sessionDeleted(event.session_id);
    });
  }

  /** Changes the open session (persona, settings); the answer says which settings a persona switch dropped. */
  async updateCurrent(update: SessionUpdate): Promise<SessionUpdated> {
    const id = this.currentId();
    if (!id) throw new Error('No session is open');
    const updated = await this.api.invoke(updateSession, { id, body: update });
    if (this.currentId() === id) this.currentState.set(updated);
    return updated;
  }

  /** Re-reads the open session (message count, activity, expiry) after a turn. */
  async refreshCurrent(): Promise<void> {
    const id = this.currentId();
    if (!id) return;
    const session = await this.api.invoke(getSession, { id }).catch(() => null);
    if (session && this.currentId() === id) this.currentState.set(session);
  }

  /** A session changed elsewhere (rename, pin): keep the header in step. */
  sessionUpdated(session: Session): void {
    if (session.session_id === this.currentId()) this.currentState.set(session);
  }

  /** A session was deleted: when it was the open one, open my newest other one or a new one. */
  async sessionDeleted(sessionId: string): Promise<void> {
    if (sessionId !== this.currentId()) return;
    const page = await this.api.invoke(listSessions, { limit: 2 });
    const next = page.sessions.find((s) => s.session_id !== sessionId);
    if (next) this.open(next, 'replace');
    else await this.createSession({ persona: this.defaultPersonaState() }, 'replace');
  }

  /** Back or forward to another session's entry. */
  private async navigated(sessionId: string | null): Promise<void> {
    const current = this.currentId();
    if (this.phaseState() !== 'ready' || !current) return;
    if (sessionId === null) return this.url.show(current, 'replace');
    if (sessionId === current) return;
    try {
      if (await this.openSession(sessionId, 'none')) return;
      this.noticeState.set(SESSION_GONE);
    } catch (error) {
      this.noticeState.set(problemOf(error).message);
    }
    this.url.show(this.currentId() ?? current, 'replace');
  }

  /** A notice at load when chat cannot answer, rather than only after a first message fails. */
  async checkModel(): Promise<void> {
    try {
      const report = (await this.api.invoke(getHealth)) as { details?: Record<string, { configured?: boolean }> };
      const model = report.details?.['model'];
      // The settings to add are for the administrator (server log, /health), not for this page.
      this.modelNoticeState.set(model?.configured === false ? MODEL_NOT_SET_UP : null);
    } catch {
      // /health answers 503 with its report when the store is down; either way, nothing to add here.
    }
  }

  /** The session named by the address bar, else this tab's last one, and the first requests to reopen it. */
  private askResume(): ResumeAnswers {
    const sessionId = this.url.current() ?? tabStorage.get(STORAGE_KEYS.session);
    markStartup('requests');
    const answers = Promise.allSettled([
      this.api.invoke(getCurrentIdentity),
      this.loadPersonas(),
      sessionId ? this.api.invoke(getSession, { id: sessionId }) : Promise.resolve(null),
      sessionId ? this.api.invoke(listSessionMessages, { id: sessionId, limit: MESSAGE_PAGE_SIZE }) : Promise.resolve(null),
    ]);
    return { sessionId, answers };
  }

  /**
   * With a stored token: check it, load the personas, reopen the stored session and read its
   * newest history page, all in parallel: one round trip before the conversation shows. False when the token is gone and a fresh start is needed.
   */
  private async resume(asked: ResumeAnswers): Promise<boolean> {
    const storedId = asked.sessionId;
    const fromUrl = storedId !== null && storedId === this.url.current();
    const [me, personas, stored, history] = await asked.answers;
    if (storedId && history.status === 'fulfilled' && history.value) this.prefetched = { sessionId: storedId, page: history.value };
    if (me.status === 'rejected') {
      if (statusOf(me.reason) !== 401) throw me.reason;
      // On an accounts server the session has ended: sign in again. Elsewhere, not a silent fresh
      // start: the person learns their identity is gone and chooses.
      if (this.auth.settings()?.mode === 'accounts') this.auth.tokenRejected();
      else if (this.identity.token()) this.identity.markLost(this.identity.token()!);
      return false;
    }
    this.auth.identified(me.value);
    if (personas.status === 'rejected') throw personas.reason;
    if (stored.status === 'fulfilled' && stored.value) this.open(stored.value, 'replace');
    else if (stored.status === 'rejected' && statusOf(stored.reason) !== 404) throw stored.reason;
    else if (!storedId) await this.openNewestOrCreate();
    else {
      if (fromUrl) this.noticeState.set(SESSION_GONE);
      await this.createSession({ persona: this.defaultPersonaState() }, 'replace');
    }
    return true;
  }

  /** Signed in on a browser that has no session of mine open: my latest one, or a first one. */
  private async openNewestOrCreate(): Promise<void> {
    const page = await this.api.invoke(listSessions, { limit: 1 });
    if (page.sessions[0]) this.open(page.sessions[0], 'replace');
    else await this.createSession({ persona: this.defaultPersonaState() }, 'replace');
  }

  private async startFresh(): Promise<void> {
    this.identity.set(await this.api.invoke(createGuestIdentity));
    await this.loadPersonas();
    await this.createSession({ persona: this.defaultPersonaState() }, 'replace');
  }

  private async loadPersonas(): Promise<void> {
    const list = await this.api.invoke(listPersonas);
    this.personasState.set(list.personas);
    this.defaultPersonaState.set(list.default_persona);
  }

  private open(session: Session, mode: HistoryMode): void {
    this.currentState.set(session);
    tabStorage.set(STORAGE_KEYS.session, session.session_id);
    this.url.show(session.session_id, mode);
  }
}
