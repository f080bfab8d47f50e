import { HttpClient, provideHttpClient, withFetch } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, inject, provideBrowserGlobalErrorListeners, provideZonelessChangeDetection, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatToolbarModule } from '@angular/material/toolbar';
import { bootstrapApplication } from '@angular/platform-browser';
import { firstValueFrom } from 'rxjs';
import { createGuestIdentity } from '../api/fn/identity/create-guest-identity';
import { continueSharedConversation } from '../api/fn/shares/continue-shared-conversation';
import { getSharedConversation } from '../api/fn/shares/get-shared-conversation';
import type { SharedConversationDto } from '../api/models/shared-conversation-dto';
import { MarkdownView } from '../chat/markdown-view';
import { problemOf, statusOf } from '../core/api-error';
import { Identity, Session } from '../core/api-types';
import { IdentityStore } from '../core/identity-store';
import { sessionPath } from '../core/session-url';
import { ThemeService } from '../core/theme';
import { exactTime } from '../core/time-format';
import { Icon } from '../shared/icon';
import { sharedIdIn } from './shared-path';

/** Said when a link is revoked, expired or never existed (the server answers 404 for all three). */
export const SHARE_GONE = 'This shared link is no longer available: it was revoked, it expired, or it never existed.';

/**
 * The public, read-only page of a share link (/shared/{id}). It runs on its own, without the app's
 * start-up: it sends no token, creates no identity and shows none. "Continue this conversation"
 * is the one step that needs an identity: the stored one, else a new guest; the copy then opens
 * in the app at /s/{id}.
 */
@Component({
  selector: 'nono-root',
  imports: [MatToolbarModule, MatButtonModule, MatProgressBarModule, MarkdownView, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <mat-toolbar class="toolbar" role="banner">
      <a class="product" href="/">nono-chat</a>
      <span class="badge">Shared conversation · read-only</span>
      <span class="spacer"></span>
      <button mat-icon-button type="button" (click)="theme.toggle()" [attr.aria-label]="theme.isDark() ? 'Switch to light theme' : 'Switch to dark theme'">
        <nono-icon [name]="theme.isDark() ? 'light' : 'dark'" />
      </button>
    </mat-toolbar>
    <main class="page">
      @if (loading()) {
        <mat-progress-bar mode="indeterminate" aria-label="Loading the conversation" />
      } @else if (gone()) {
        <section class="problem" role="alert">
          <h1>Link not available</h1>
          <p>{{ goneMessage }}</p>
          <a mat-stroked-button href="/">Open nono-chat</a>
        </section>
      } @else if (conversation(); as c) {
        <header class="head">
          <h1>{{ c.title }}</h1>
          <p class="meta">
            With {{ c.persona_name ?? c.persona }} · shared {{ exactTime(c.created_at) }}
            @if (c.expires_at) {
              · available until {{ exactTime(c.expires_at) }}
            }
          </p>
        </header>
        <ol class="messages" aria-label="Messages">
          @for (m of c.messages; track $index) {
            <li class="message" [class.user]="m.role === 'user'" [class.assistant]="m.role === 'assistant'">
              <span class="who">{{ m.role === 'user' ? 'User' : (c.persona_name ?? 'Assistant') }}</span>
              <nono-markdown class="content" [text]="m.content" />
            </li>
          } @empty {
            <li class="empty">This conversation has no messages.</li>
          }
        </ol>
        <div class="continue">
          <button mat-flat-button type="button" (click)="continueHere()" [disabled]="continuing()">Continue this conversation</button>
          <span class="hint">Copies it into your own sessions; the original stays as it is.</span>
        </div>
      }
      @if (problem()) {
        <p class="problem-line" role="alert">{{ problem() }}</p>
      }
    </main>
  `,
  styles: `
    :host { display: block; min-height: 100vh; }
    .toolbar { gap: 12px; padding-right: 4px; }
    .spacer, .product, .toolbar button { flex: none; }
    .product { color: inherit; text-decoration: none; font-weight: 600; }
    .badge { font: var(--mat-sys-label-large); color: var(--mat-sys-on-surface-variant); min-width: 0; overflow: hidden; text-overflow: ellipsis; }
    .spacer { flex: 1 1 0; }
    .page { max-width: 860px; margin: 0 auto; padding: 16px; }
    .head h1 { font: var(--mat-sys-headline-small); margin: 8px 0 4px; }
    .meta, .hint { color: var(--mat-sys-on-surface-variant); }
    .messages { list-style: none; padding: 0; display: flex; flex-direction: column; gap: 16px; }
    .message { padding: 12px 16px; border-radius: 12px; background: var(--mat-sys-surface-container); }
    .message.user { background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); margin-left: 10%; }
    .who { display: block; font: var(--mat-sys-label-medium); margin-bottom: 4px; }
    .continue { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin: 24px 0; }
    .problem-line { color: var(--mat-sys-error); }
  `,
})
export class SharedPage {
  private readonly http = inject(HttpClient);
  private readonly identity = inject(IdentityStore);
  protected readonly theme = inject(ThemeService);
  protected readonly exactTime = exactTime;
  protected readonly goneMessage = SHARE_GONE;

  protected readonly conversation = signal<SharedConversationDto | null>(null);
  protected readonly loading = signal(true);
  protected readonly gone = signal(false);
  protected readonly problem = signal<string | null>(null);
  protected readonly continuing = signal(false);

  constructor() {
    noIndex();
    void this.load();
  }

  private readonly shareId = sharedIdIn(location.pathname) ?? '';

  private async load(): Promise<void> {
    try {
      const response = await firstValueFrom(getSharedConversation(this.http, '', { share_id: this.shareId }));
      const conversation = response.body;
      this.conversation.set(conversation);
      document.title = `${conversation.title} · nono-chat`;
    } catch (error) {
      if (statusOf(error) === 404) this.gone.set(true);
      else this.problem.set(`The conversation could not be loaded: ${problemOf(error).message}`);
    } finally {
      this.loading.set(false);
    }
  }

  /** Copies the conversation into my sessions (signing in as a new guest when this browser has no identity) and opens it. */
  protected async continueHere(): Promise<void> {
    this.continuing.set(true);
    this.problem.set(null);
    try {
      const session = await this.copyWith(this.identity.token() ?? (await this.newGuest()));
      this.go(sessionPath(session.session_id));
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) this.gone.set(true);
      else if (status === 401 || status === 403) this.problem.set('Sign in to nono-chat first (open it from the top left), then open this link again.');
      else this.problem.set(`The conversation was not copied: ${problemOf(error).message}`);
      this.continuing.set(false);
    }
  }

  /** Leaves for the app, which opens the copy from its URL. */
  protected go(path: string): void {
    location.assign(path);
  }

  private async newGuest(): Promise<string> {
    const identity: Identity = (await firstValueFrom(createGuestIdentity(this.http, ''))).body;
    this.identity.set(identity);
    return identity.token;
  }

  private async copyWith(token: string): Promise<Session> {
    // POST /api/shared/{id}/continue with this page's token (the page has no auth interceptor).
    return firstValueFrom(
      this.http.post<Session>(continueSharedConversation.PATH.replace('{share_id}', encodeURIComponent(this.shareId)), null, {
        headers: { Authorization: `Bearer ${token}` },
      }),
    );
  }
}

function noIndex(): void {
  const meta = document.createElement('meta');
  meta.name = 'robots';
  meta.content = 'noindex, nofollow';
  document.head.appendChild(meta);
}

/** Starts the public page in place of the app (main.ts decides by the path). */
export function bootstrapSharedPage(): Promise<unknown> {
  return bootstrapApplication(SharedPage, {
    providers: [provideBrowserGlobalErrorListeners(), provideZonelessChangeDetection(), provideHttpClient(withFetch())],
  });
}
