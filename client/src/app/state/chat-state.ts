import { Injectable, computed, effect, inject, signal, untracked } from '@angular/core';
import { Api } from '../api/api';
import { ApiConfiguration } from '../api/api-configuration';
import { isModelNotConfigured, isNetworkFailure, problemOf, ProblemInfo, SERVER_UNREACHABLE, SERVER_UNREACHABLE_RETRYING } from '../core/api-error';
import { ChatErrorEvent, Message } from '../core/api-types';
import { IdentityStore } from '../core/identity-store';
import { listSessionMessages } from '../api/fn/sessions/list-session-messages';
import { stopGeneration } from '../api/fn/chat/stop-generation';
import { clearMessageRating } from '../api/fn/sessions/clear-message-rating';
import { deleteSessionMessage } from '../api/fn/sessions/delete-session-message';
import { forkSession } from '../api/fn/sessions/fork-session';
import { listMessageVersions } from '../api/fn/sessions/list-message-versions';
import { rateMessage } from '../api/fn/sessions/rate-message';
import { switchSessionPath } from '../api/fn/sessions/switch-session-path';
import { MESSAGE_PAGE_SIZE, SessionState } from './session-state';
import { LiveEvent, LiveEvents } from './live-events';
import { markStartup } from '../core/perf-marks';
import { isStreamRefused, SseEvent } from './sse-types';
import { FirstPaint } from '../core/first-paint';

/** The streaming code (and its parser) loads on first use, not with the app. */
const loadSse = () => import('./sse');

/**
 * A message as shown: stored ones, plus a sent message the server never took (`unsent`). A sent
 * message keeps its Idempotency-Key, so resending it can never store it twice.
 */
/** A jump to a search result loads at most this many older pages looking for the message. */
const JUMP_MAX_PAGES = 40;
/** How long (in 50 ms turns) a jump waits for a page already being loaded. */
const JUMP_WAIT_TURNS = 200;

export type ChatEntry = Message & { unsent?: boolean; idempotencyKey?: string };

/** Thumbs up or down. */
export type Rating = 'up' | 'down';

/** Delays between attempts to reattach to an answer after the connection dropped. */
const REATTACH_RETRY_MS = [250, 500, 1000, 2000, 4000];


/** Delays before a message that never reached the server is sent again by itself (same Idempotency-Key). */
const RESEND_MS = [1000, 2000, 4000, 8000, 15_000, 15_000, 15_000, 15_000];

/** If the stream has not ended this long after "stop", the connection is cut (the server keeps the partial answer). */
const STOP_GRACE_MS = 3000;

interface ActiveTurn {
  sessionId: string;
  controller: AbortController;
  localUserId?: string;
  /** The `id:` of the last event received: where a reattach continues (no gap, nothing twice). */
  lastEventId?: string;
  /** Only looking for a running answer (after opening the session): a send replaces it. */
  lookingOnly?: boolean;
  /** The server took the request (an event arrived): the answer runs there whatever the connection does. */
  accepted?: boolean;
}

/** The open session's conversation: history paging, the streamed answer, stop, regenerate, retry. */
@Injectable({ providedIn: 'root' })
export class ChatState {
  private readonly api = inject(Api);
  private readonly config = inject(ApiConfiguration);
  private readonly identity = inject(IdentityStore);
  private readonly sessions = inject(SessionState);
  private readonly live = inject(LiveEvents);
  private readonly firstPaint = inject(FirstPaint);

  private readonly messagesState = signal<ChatEntry[]>([]);
  private readonly draftState = signal<ChatEntry | null>(null);
  private readonly olderCursor = signal<string | null>(null);
  private readonly loadingState = signal(false);
  private readonly loadingOlderState = signal(false);
  private readonly modelProblemState = signal<string | null>(null);
  private readonly noticeState = signal<string | null>(null);
  private turn: ActiveTurn | null = null;
  private loadedFor: string | null = null;
  private localIds = 0;
  /** Automatic resends so far, by Idempotency-Key. */
  private readonly resends = new Map<string, number>();

  readonly messages = this.messagesState.asReadonly();
  /** The answer being streamed, shown after the messages. */
  readonly draft = this.draftState.asReadonly();
  readonly streaming = computed(() => this.draftState() !== null);
  readonly loading = this.loadingState.asReadonly();
  readonly loadingOlder = this.loadingOlderState.asReadonly();
  readonly hasOlder = computed(() => this.olderCursor() !== null);
  private readonly highlightState = signal<string | null>(null);
  /** The message a search result pointed at, once it is loaded: the list scrolls to it and marks it. */
  readonly highlighted = this.highlightState.asReadonly();
  /** "No model configured": the server's sentence naming the setting to add. */
  readonly modelProblem = this.modelProblemState.asReadonly();
  /** A refusal that is not about one message (busy session, session gone, ...). */
  readonly notice = this.noticeState.asReadonly();
  readonly canRegenerate = computed(() => {
    const last = this.messagesState().at(-1);
    return !this.streaming() && last?.role === 'assistant';
  });

  constructor() {
    effect(() => {
      const id = this.sessions.currentId();
      untracked(() => void this.load(id));
    });
    this.live.on((event) => this.onLiveEvent(event));
  }

  async load(sessionId: string | null): Promise<void> {
    if (sessionId === this.loadedFor) return;
    this.loadedFor = sessionId;
    this.highlightState.set(null);
    this.turn = null;
    this.draftState.set(null);
    this.messagesState.set([]);
    this.olderCursor.set(null);
    this.noticeState.set(null);
    if (!sessionId) return;
    const prefetched = this.sessions.takePrefetchedHistory(sessionId);
    if (prefetched) {
      markStartup('history');
      this.messagesState.set(prefetched.messages);
      this.olderCursor.set(prefetched.next_cursor);
      // At start-up, whether an answer is still being written is asked once the history is painted.
      this.firstPaint.then(() => void this.reattach(sessionId));
      return;
    }
    this.loadingState.set(true);
    try {
      const page = await this.api.invoke(listSessionMessages, { id: sessionId, limit: MESSAGE_PAGE_SIZE });
      if (this.loadedFor !== sessionId) return;
      markStartup('history');
      // A message sent while the page was on its way (e.g. the first one of a new session, even one
      // the server refused) stays, below what was loaded.
      const meanwhile = this.messagesState();
      this.messagesState.set(meanwhile.length === 0 ? page.messages : [...page.messages.filter((m) => !meanwhile.some((x) => x.id === m.id)), ...meanwhile]);
      this.olderCursor.set(page.next_cursor);
      void this.reattach(sessionId);
    } catch (error) {
      if (this.loadedFor === sessionId) this.noticeState.set(problemOf(error).message);
    } finally {
      if (this.loadedFor === sessionId) this.loadingState.set(false);
    }
  }

  /**
   * Follows the session's running answer, if any (after a refresh, or one started in another tab):
   * the server replays it from the start, then streams it live.
   */
  async reattach(sessionId: string): Promise<void> {
    if (this.turn || this.loadedFor !== sessionId) return;
    const turn: ActiveTurn = { sessionId, controller: new AbortController(), lookingOnly: true };
    this.turn = turn;
    let ended = false;
    try {
      ended = await this.follow(turn, 0);
    } finally {
      if (this.turn === turn) {
        this.turn = null;
        this.draftState.set(null);
        if (ended) await this.sessions.refreshCurrent();
      }
    }
  }

  /**
   * Brings a message of the open session into the loaded history (older pages are loaded until it
   * is there, at most `maxPages`) and marks it. False, with a notice, when it is not found.
   */
  async jumpTo(sessionId: string, messageId: string, maxPages = JUMP_MAX_PAGES): Promise<boolean> {
    this.highlightState.set(null);
    await this.load(sessionId);
    for (let waited = 0; this.loadingState() && waited < JUMP_WAIT_TURNS; waited++) await new Promise((resolve) => setTimeout(resolve, 50));
    for (let page = 0; this.loadedFor === sessionId; page++) {
      if (this.messagesState().some((m) => m.id === messageId)) {
        this.highlightState.set(messageId);
        return true;
      }
      if (!this.olderCursor() || page >= maxPages) break;
      for (let waited = 0; this.loadingOlderState() && waited < JUMP_WAIT_TURNS; waited++) await new Promise((resolve) => setTimeout(resolve, 50));
      await this.loadOlder();
    }
    if (this.loadedFor === sessionId) this.noticeState.set('The matching message is not in this session any more (it may have been edited or cleared).');
    return false;
  }

  async loadOlder(): Promise<void> {
    const sessionId = this.loadedFor;
    const before = this.olderCursor();
    if (!sessionId || !before || this.loadingOlderState()) return;
    this.loadingOlderState.set(true);
    try {
      const page = await this.api.invoke(listSessionMessages, { id: sessionId, limit: MESSAGE_PAGE_SIZE, before });
      if (this.loadedFor !== sessionId) return;
      this.messagesState.update((current) => [...page.messages, ...current]);
      this.olderCursor.set(page.next_cursor);
    } catch (error) {
      this.noticeState.set(problemOf(error).message);
    } finally {
      this.loadingOlderState.set(false);
    }
  }

  async send(content: string, idempotencyKey = newIdempotencyKey()): Promise<void> {
    const sessionId = this.loadedFor;
    const text = content.trim();
    if (!sessionId || !text || this.streaming()) return;
    this.stopLooking();
    if (this.turn) return;
    const local: ChatEntry = { ...this.blank('user'), content: text, idempotencyKey };
    this.messagesState.update((list) => [...list, local]);
    await this.runTurn(sessionId, 'messages', { content: text }, idempotencyKey, local.id);
  }

  /**
   * A new version of an answer (default: the last one shown). The old version stays: the arrows
   * under the new one lead back to it.
   */
  async regenerate(messageId?: string): Promise<void> {
    const sessionId = this.loadedFor;
    if (!sessionId || this.streaming()) return;
    this.stopLooking();
    if (this.turn) return;
    const list = this.messagesState();
    const at = messageId === undefined ? list.length - 1 : list.findIndex((m) => m.id === messageId);
    const target = list[at];
    if (target?.role === 'assistant') this.messagesState.set(list.slice(0, at));
    const body = messageId === undefined ? {} : { message_id: messageId };
    // Redoing an answer higher up leaves the conversation below it on the old version.
    await this.runTurn(sessionId, 'regenerate', body, newIdempotencyKey(), undefined, target !== undefined && at < list.length - 1);
  }

  /**
   * Edit: the new text becomes a new version of the message (a sibling, same parent), answered as a
   * send is; the old version and what followed it stay, behind the arrows.
   */
  async edit(entry: ChatEntry, content: string): Promise<void> {
    const sessionId = this.loadedFor;
    const text = content.trim();
    if (!sessionId || !text || this.streaming() || entry.role !== 'user' || entry.unsent) return;
    this.stopLooking();
    if (this.turn) return;
    const list = this.messagesState();
    const at = list.findIndex((m) => m.id === entry.id);
    if (at < 0) return;
    const idempotencyKey = newIdempotencyKey();
    const local: ChatEntry = { ...this.blank('user'), content: text, parent_id: entry.parent_id, idempotencyKey };
    this.messagesState.set([...list.slice(0, at), local]);
    await this.runTurn(sessionId, 'messages', { content: text, parent_id: entry.parent_id }, idempotencyKey, local.id, true);
  }

  /** Tries a failed turn again: resends a message the server never took, otherwise redoes that answer. */
  async retry(entry: ChatEntry): Promise<void> {
    if (entry.unsent) {
      this.messagesState.update((list) => list.filter((m) => m.id !== entry.id));
      // The same key: if the server did store it after all, it is not stored twice.
      await this.send(entry.content, entry.idempotencyKey);
    } else if (entry.role === 'assistant' && !entry.id.startsWith('failed-') && !entry.id.startsWith('local-')) {
      await this.regenerate(entry.id);
    } else {
      await this.regenerate();
    }
  }

  /** Shows the previous (-1) or next (+1) version of a message, with the conversation that follows it. */
  async showVersion(entry: ChatEntry, step: -1 | 1): Promise<void> {
    const sessionId = this.loadedFor;
    if (!sessionId || this.turn) return;
    try {
      const { ids } = await this.api.invoke(listMessageVersions, { id: sessionId, message_id: entry.id });
      const target = ids[ids.indexOf(entry.id) + step];
      if (!target || this.loadedFor !== sessionId) return;
      await this.api.invoke(switchSessionPath, { id: sessionId, body: { message_id: target } });
      await this.refetch(sessionId);
    } catch (error) {
      if (this.loadedFor === sessionId) this.noticeState.set(problemOf(error).message);
    }
  }

  /**
   * Rates a message (thumbs up or down, with an optional comment); the stored rating replaces the
   * old one. A null rating removes it. Shown at once, put back when the server refuses.
   */
  async rate(entry: ChatEntry, rating: Rating | null, comment?: string): Promise<void> {
    const sessionId = this.loadedFor;
    if (!sessionId) return;
    const previous = entry.feedback;
    const shown = rating === null ? undefined : ({ rating, ...(comment ? { comment } : {}), updated_at: new Date().toISOString() } as Message['feedback']);
    this.replace(entry.id, (m) => ({ ...m, feedback: shown }));
    try {
      if (rating === null) {
        await this.api.invoke(clearMessageRating, { id: sessionId, message_id: entry.id });
        return;
      }
      const stored = await this.api.invoke(rateMessage, { id: sessionId, message_id: entry.id, body: { rating, ...(comment ? { comment } : {}) } });
      this.replace(entry.id, (m) => ({ ...m, feedback: stored.feedback }));
    } catch (error) {
      this.replace(entry.id, (m) => ({ ...m, feedback: previous }));
      if (this.loadedFor === sessionId) this.noticeState.set(problemOf(error).message);
    }
  }

  /** Deletes a message with everything below it (every branch); the history then shows what remains. */
  async deleteMessage(entry: ChatEntry): Promise<void> {
    const sessionId = this.loadedFor;
    if (!sessionId || this.turn) return;
    try {
      await this.api.invoke(deleteSessionMessage, { id: sessionId, message_id: entry.id });
      await this.refetch(sessionId);
      await this.sessions.refreshCurrent();
    } catch (error) {
      if (this.loadedFor === sessionId) this.noticeState.set(problemOf(error).message);
    }
  }

  /** A new session holding the conversation down to this message, opened at its own address. */
  async fork(entry: ChatEntry): Promise<void> {
    const sessionId = this.loadedFor;
    if (!sessionId) return;
    try {
      const fork = await this.api.invoke(forkSession, { id: sessionId, body: { message_id: entry.id } });
      await this.sessions.openSession(fork.session_id);
    } catch (error) {
      if (this.loadedFor === sessionId) this.noticeState.set(problemOf(error).message);
    }
  }

  async stop(): Promise<void> {
    const turn = this.turn;
    if (!turn) return;
    setTimeout(() => turn.controller.abort(), STOP_GRACE_MS);
    await this.api.invoke(stopGeneration, { id: turn.sessionId }).catch(() => turn.controller.abort());
  }

  dismissNotice(): void {
    this.noticeState.set(null);
  }

  private async runTurn(
    sessionId: string,
    action: 'messages' | 'regenerate',
    body: object,
    idempotencyKey: string,
    localUserId?: string,
    reloadAfter = false,
  ): Promise<void> {
    const turn: ActiveTurn = { sessionId, controller: new AbortController(), localUserId };
    this.turn = turn;
    this.modelProblemState.set(null);
    this.noticeState.set(null);
    this.draftState.set({ ...this.blank('assistant'), persona: this.sessions.current()?.persona });
    const url = `${this.config.rootUrl}/api/sessions/${encodeURIComponent(sessionId)}/${action}`;
    let ended = false;
    const token = this.identity.token();
    try {
      await (await loadSse()).postEventStream(url, token, body, turn.controller.signal, (event) => {
        if (this.turn === turn) ended = this.apply(turn, event) || ended;
      }, { 'Idempotency-Key': idempotencyKey });
    } catch (error) {
      // Streams go through fetch, not the interceptor: a refused token is noted here.
      if (isStreamRefused(error) && error.status === 401 && token) this.identity.markLost(token);
      // Refused before the answer started (nothing received yet): say why.
      if (this.turn === turn && !turn.accepted) {
        this.refused(turn, error);
        ended = !turn.controller.signal.aborted;
      }
    }
    try {
      // The connection dropped mid-answer (network, server restart): the answer goes on on the
      // server; follow it from the last event received.
      if (!ended && this.turn === turn && turn.accepted && !turn.controller.signal.aborted) {
        ended = await this.follow(turn);
      }
    } finally {
      if (this.turn === turn) {
        this.turn = null;
        this.draftState.set(null);
        // The stream ended without a final event (connection cut): the server's history is the truth.
        if (!ended) await this.reloadNewest(sessionId);
        // A new version higher up: the siblings' counts above changed; the server's path is the truth.
        else if (reloadAfter) await this.refetch(sessionId);
      }
      await this.sessions.refreshCurrent();
    }
  }

  /** Applies one stream event; true when it ended the turn. */
  private apply(turn: ActiveTurn, event: SseEvent): boolean {
    turn.accepted = true;
    if (event.id) turn.lastEventId = event.id;
    const data = parse(event.data);
    if (event.event === 'user_message') {
      const stored = (data['message'] ?? data) as Message;
      if (turn.localUserId) this.messagesState.update((list) => list.map((m) => (m.id === turn.localUserId ? stored : m)));
      else if (!this.has(stored.id)) this.messagesState.update((list) => [...list, stored]);
    } else if (event.event === 'delta') {
      const text = typeof data['text'] === 'string' ? data['text'] : '';
      const blank = { ...this.blank('assistant'), persona: this.sessions.current()?.persona };
      this.draftState.update((draft) => ({ ...(draft ?? blank), content: (draft?.content ?? '') + text }));
    } else if (event.event === 'done') {
      this.finish((data['message'] ?? data) as Message);
      return true;
    } else if (event.event === 'error') {
      const body = data as Partial<ChatErrorEvent>;
      const problem = { status: body.statusCode ?? 502, message: body.message ?? 'The answer failed.' };
      const draft = this.draftState();
      this.finish({ ...(draft ?? this.blank('assistant')), id: body.message_id ?? `failed-${++this.localIds}`, status: 'failed', error: problem });
      this.noteModelProblem(problem);
      return true;
    }
    return false;
  }

  private finish(message: Message): void {
    this.draftState.set(null);
    // A replay after a refresh can end with an answer the history already holds.
    if (!this.has(message.id)) this.messagesState.update((list) => [...list, message]);
  }

  private has(messageId: string): boolean {
    return this.messagesState().some((m) => m.id === messageId);
  }

  /**
   * GET .../generation from the last event received (all of it when none): replays what was missed,
   * then follows live. Retries while the connection keeps failing; true when the answer's end arrived.
   */
  private async follow(turn: ActiveTurn, retries = REATTACH_RETRY_MS.length): Promise<boolean> {
    const url = `${this.config.rootUrl}/api/sessions/${encodeURIComponent(turn.sessionId)}/generation`;
    let ended = false;
    for (let attempt = 0; attempt <= retries && !ended && this.turn === turn; attempt++) {
      const headers: Record<string, string> = turn.lastEventId ? { 'Last-Event-ID': turn.lastEventId } : {};
      const token = this.identity.token();
      try {
        const running = await (await loadSse()).getEventStream(url, token, turn.controller.signal, (event) => {
          if (this.turn === turn) ended = this.apply(turn, event) || ended;
        }, headers);
        if (!running) return false;
        if (ended) return true;
      } catch (error) {
        if (turn.controller.signal.aborted) return ended;
        if (isStreamRefused(error) && error.status === 401 && token) this.identity.markLost(token);
        if (isStreamRefused(error) && error.status < 500) return false;
      }
      if (turn.lookingOnly && turn.lastEventId !== undefined) turn.lookingOnly = false;
      if (attempt < retries) await new Promise((resolve) => setTimeout(resolve, REATTACH_RETRY_MS[attempt]));
    }
    return ended;
  }

  /** A send replaces a look for a running answer that found nothing yet. */
  private stopLooking(): void {
    const turn = this.turn;
    if (!turn?.lookingOnly || turn.lastEventId !== undefined) return;
    turn.controller.abort();
    this.turn = null;
    this.draftState.set(null);
  }

  /** Another tab or device changed the open session. */
  private onLiveEvent(event: LiveEvent): void {
    if (event.session_id !== this.loadedFor) return;
    if (event.type === 'generation.started' && !this.turn) void this.reattach(event.session_id);
    else if (event.type === 'message.stored' && event.message && !this.turn && !this.has(event.message.id)) {
      const message = event.message;
      const last = this.messagesState().at(-1);
      // Below the last message shown: it continues this conversation. Anywhere else (an edit or a
      // new version in another tab): the path moved, read it again.
      if ((message.parent_id ?? null) === (last?.id ?? null)) this.messagesState.update((list) => [...list, message]);
      else void this.refetch(event.session_id);
    } else if (event.type === 'session.updated' && event.changes?.includes('messages') && !this.turn) {
      void this.refetch(event.session_id);
    }
  }

  /** The server refused before streaming, or the connection failed. */
  private refused(turn: ActiveTurn, error: unknown): void {
    const problem: ProblemInfo =
      isStreamRefused(error) ? { status: error.status, message: error.message } : problemOf(error);
    if (turn.controller.signal.aborted) return;
    this.noteModelProblem(problem);
    if (turn.localUserId) {
      const entry = this.messagesState().find((m) => m.id === turn.localUserId);
      const resend = isNetworkFailure(error) && entry?.idempotencyKey ? this.scheduleResend(turn.sessionId, entry) : false;
      // The banner says what to do; the message only needs to say why it waits.
      const shown = isModelNotConfigured(problem)
        ? { ...problem, message: 'Not sent: chat is not set up yet (see above).' }
        : isNetworkFailure(error)
          ? { status: 0, message: resend ? SERVER_UNREACHABLE_RETRYING : SERVER_UNREACHABLE }
          : problem;
      this.messagesState.update((list) => list.map((m) => (m.id === turn.localUserId ? { ...m, unsent: true, error: shown } : m)));
    } else {
      this.noticeState.set(problem.message);
    }
  }

  /**
   * The server could not be reached: send the message again a little later, with the same
   * Idempotency-Key (stored once whatever happens). False once the attempts are used up.
   */
  private scheduleResend(sessionId: string, entry: ChatEntry): boolean {
    const key = entry.idempotencyKey!;
    const attempt = this.resends.get(key) ?? 0;
    if (attempt >= RESEND_MS.length) {
      this.resends.delete(key);
      return false;
    }
    this.resends.set(key, attempt + 1);
    setTimeout(() => {
      const waiting = this.messagesState().find((m) => m.idempotencyKey === key && m.unsent);
      if (!waiting || this.loadedFor !== sessionId || this.turn) return;
      void this.retry(waiting);
    }, RESEND_MS[attempt]);
    return true;
  }

  private noteModelProblem(problem: ProblemInfo): void {
    if (isModelNotConfigured(problem)) this.modelProblemState.set(problem.message);
  }

  /** Reads the newest page again in place (after the path moved), keeping what is shown until it arrives. */
  private async refetch(sessionId: string): Promise<void> {
    try {
      const page = await this.api.invoke(listSessionMessages, { id: sessionId, limit: MESSAGE_PAGE_SIZE });
      if (this.loadedFor !== sessionId || this.turn) return;
      this.messagesState.set(page.messages);
      this.olderCursor.set(page.next_cursor);
    } catch (error) {
      if (this.loadedFor === sessionId) this.noticeState.set(problemOf(error).message);
    }
  }

  private replace(messageId: string, change: (message: ChatEntry) => ChatEntry): void {
    this.messagesState.update((list) => list.map((m) => (m.id === messageId ? change(m) : m)));
  }

  private async reloadNewest(sessionId: string): Promise<void> {
    this.loadedFor = null;
    await this.load(sessionId);
  }

  private blank(role: Message['role']): ChatEntry {
    return { id: `local-${++this.localIds}`, role, content: '', created_at: new Date().toISOString(), parent_id: null, persona: this.sessions.current()?.persona };
  }
}

function newIdempotencyKey(): string {
  return typeof crypto !== 'undefined' && 'randomUUID' in crypto
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

function parse(data: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(data);
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
