import { ChangeDetectionStrategy, Component, Injector, afterNextRender, effect, inject, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { ChatPanel } from './chat/chat-panel';
import { problemOf } from './core/api-error';
import { NewSession, SessionUpdate } from './core/api-types';
import { IDENTITY_LOST_MESSAGE } from './core/identity-store';
import { AppHeader } from './header/app-header';
import { Layout } from './core/layout';
import { SessionNav } from './sessions/session-nav';
import { SignIn } from './account/sign-in';
import { AccountAction } from './account/account-dialog';
import { AuthState } from './state/auth-state';
import { SessionState } from './state/session-state';
import { ChatState } from './state/chat-state';
import { FirstPaint } from './core/first-paint';
import type { SearchHit } from './sessions/session-search';
import { whenIdle } from './core/idle';

const loadDialogs = () => import('./sessions/session-dialogs');
const loadAccountDialogs = () => import('./account/account-dialogs');
const loadTransferDialogs = () => import('./transfer/transfer-dialogs');

/** The page: header + conversation. Opens the dialogs and acts on what they return. */
@Component({
  selector: 'nono-root',
  imports: [AppHeader, ChatPanel, SignIn, SessionNav, MatButtonModule, MatProgressBarModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './app.html',
  styleUrl: './app.scss',
})
export class App {
  protected readonly state = inject(SessionState);
  protected readonly identityLostMessage = IDENTITY_LOST_MESSAGE;
  protected readonly auth = inject(AuthState);
  protected readonly layout = inject(Layout);
  private readonly injector = inject(Injector);
  private readonly chatState = inject(ChatState);
  private readonly chat = viewChild(ChatPanel);
  protected readonly firstPaint = inject(FirstPaint);

  constructor() {
    void this.state.start();
    // Fetch the dialogs' code once the page is up, so the first click opens them at once.
    afterNextRender(() => setTimeout(() => void loadDialogs(), 1500));
    effect(() => {
      if (this.auth.signIn()) void loadDialogs().then((dialogs) => dialogs.closeAllDialogs(this.injector));
    });
    // The first screen (the conversation, a sign-in form, a problem) is painted: the frame after
    // the first render once start-up has settled. What waited for it (FirstPaint) runs in the next
    // idle moment, not in the task right after that frame.
    let settled = false;
    effect(() => {
      if (this.state.phase() === 'starting' || settled) return;
      settled = true;
      afterNextRender(() => requestAnimationFrame(() => whenIdle(() => this.firstPaint.done(), 500)), { injector: this.injector });
    });
    // Once the conversation is on screen, ask whether chat can answer at all (a banner says so before anyone writes).
    let modelChecked = false;
    effect(() => {
      if (this.state.phase() !== 'ready' || modelChecked) return;
      modelChecked = true;
      this.firstPaint.then(() => void this.state.checkModel());
    });
    // A link or back/forward to a session that is gone: say so (the app opened another one).
    effect(() => {
      if (this.state.notice()) void this.notify(this.state.takeNotice() ?? '');
    });
  }

  protected async openNewSession(): Promise<void> {
    const dialogs = await loadDialogs();
    dialogs
      .openNewSessionDialog(this.injector, { personas: this.state.personas(), persona: this.state.defaultPersona() || undefined })
      .subscribe((input) => input && void this.create(input));
  }

  protected async openSessions(): Promise<void> {
    const dialogs = await loadDialogs();
    dialogs.openSessionsDialog(this.injector).subscribe((result) => {
      if (typeof result === 'string') void this.switchTo(result);
      else if (result) void this.openHit(result);
    });
  }

  protected async openSettings(): Promise<void> {
    const session = this.state.current();
    if (!session) return;
    const dialogs = await loadDialogs();
    dialogs
      .openSessionSettingsDialog(this.injector, { personas: this.state.personas(), session })
      .subscribe((update) => update && void this.saveSettings(update));
  }

  protected async openTags(): Promise<void> {
    const session = this.state.current();
    if (!session) return;
    const dialogs = await loadDialogs();
    dialogs.openTagEditorDialog(this.injector, { name: session.display_name, tags: session.tags }).subscribe((tags) => tags && void this.saveTags(tags));
  }

  private async saveTags(tags: string[]): Promise<void> {
    try {
      await this.state.updateCurrent({ tags });
    } catch (error) {
      await this.notify(`The tags were not saved: ${problemOf(error).message}`);
    }
  }

  /** Archiving keeps the session open here; it only leaves the session list. */
  protected async toggleArchived(): Promise<void> {
    const session = this.state.current();
    if (!session) return;
    const archived = !session.archived;
    try {
      await this.state.updateCurrent({ archived });
      await this.notify(archived ? 'Archived: the session left the list. Find it under Archived.' : 'Unarchived: the session is back in the list.');
    } catch (error) {
      await this.notify(`${archived ? 'Archiving' : 'Unarchiving'} failed: ${problemOf(error).message}`);
    }
  }

  private async saveSettings(update: SessionUpdate): Promise<void> {
    try {
      const updated = await this.state.updateCurrent(update);
      if (updated.dropped_settings.length > 0) {
        const persona = this.state.personaName(updated.persona);
        await this.notify(`${persona} does not allow ${updated.dropped_settings.join(', ')}: those settings were removed.`);
      }
    } catch (error) {
      await this.notify(`The settings were not saved: ${problemOf(error).message}`);
    }
  }

  protected async openAccount(): Promise<void> {
    const auth = this.auth;
    const data = { name: auth.displayName(), guest: auth.isGuest(), guestCanRegister: auth.guestCanRegister(), canSignOut: auth.canSignOut() };
    (await loadAccountDialogs()).openAccountDialog(this.injector, data).subscribe((action) => action && void this.onAccount(action));
  }

  /** Signed in, registered, chose to be a guest, or went back: (re)open my sessions. */
  protected signedIn(): void {
    void this.state.start();
  }

  /** Export the open session in one of three formats, or share a read-only link to it. */
  protected async openShare(): Promise<void> {
    const session = this.state.current();
    if (!session) return;
    (await loadTransferDialogs()).openShareDialog(this.injector, { session: { session_id: session.session_id, display_name: session.display_name } });
  }

  private async openImport(): Promise<void> {
    const transfer = await loadTransferDialogs();
    transfer
      .openImportDialog(this.injector, { personas: this.state.personas(), defaultPersona: this.state.defaultPersona() })
      .subscribe((result) => result?.open && void this.switchTo(result.open));
  }

  private async exportAll(): Promise<void> {
    try {
      const name = await (await loadTransferDialogs()).exportAll(this.injector);
      await this.notify(`Downloaded ${name}.`);
    } catch (error) {
      await this.notify(`The export failed: ${problemOf(error).message}`);
    }
  }

  private async onAccount(action: AccountAction): Promise<void> {
    if (action === 'tokens') (await loadAccountDialogs()).openApiTokensDialog(this.injector);
    else if (action === 'import') await this.openImport();
    else if (action === 'export-all') await this.exportAll();
    else if (action === 'shares') (await loadTransferDialogs()).openShareDialog(this.injector, {});
    else if (action === 'register') this.auth.startRegistration();
    else await this.signOut(action === 'sign-out-everywhere');
  }

  /** Back to the sign-in screen (accounts) or on as a new guest (guest mode). */
  private async signOut(everywhere: boolean): Promise<void> {
    try {
      await this.auth.signOut(everywhere);
    } catch (error) {
      await this.notify(`You are still signed in: ${problemOf(error).message}`);
      return;
    }
    await this.state.start();
  }

  private async create(input: NewSession): Promise<void> {
    try {
      await this.state.createSession(input);
      this.chat()?.focusComposer();
    } catch (error) {
      await this.notify(`The session was not created: ${problemOf(error).message}`);
    }
  }

  protected async switchTo(sessionId: string): Promise<void> {
    try {
      if (sessionId !== this.state.currentId() && !(await this.state.openSession(sessionId))) {
        await this.notify('That session no longer exists (it may have expired).');
      }
      this.chat()?.focusComposer();
    } catch (error) {
      await this.notify(problemOf(error).message);
    }
  }

  /** A search result: its session, scrolled to the matching message (older pages load until it is there). */
  protected async openHit(hit: SearchHit): Promise<void> {
    await this.switchTo(hit.sessionId);
    if (hit.messageId && this.state.currentId() === hit.sessionId) await this.chatState.jumpTo(hit.sessionId, hit.messageId);
  }

  private async notify(message: string): Promise<void> {
    (await loadDialogs()).notify(this.injector, message);
  }
}
