import { ChangeDetectionStrategy, Component, computed, inject, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatToolbarModule } from '@angular/material/toolbar';
import { IdentityStore } from '../core/identity-store';
import { ThemeService } from '../core/theme';
import { Icon } from '../shared/icon';
import { AuthState } from '../state/auth-state';
import { SessionState } from '../state/session-state';

/** Product name, who I am (opens the account dialog), the open session, and the New / Sessions / export-and-share / theme controls. */
@Component({
  selector: 'nono-app-header',
  imports: [MatToolbarModule, MatButtonModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './app-header.html',
  styleUrl: './app-header.scss',
})
export class AppHeader {
  protected readonly state = inject(SessionState);
  protected readonly identity = inject(IdentityStore);
  protected readonly theme = inject(ThemeService);
  protected readonly auth = inject(AuthState);
  /** Session controls work once a session is open and no sign-in screen covers the app. */
  protected readonly ready = computed(() => this.state.phase() === 'ready' && !this.auth.signIn());

  readonly newSession = output<void>();
  readonly showSessions = output<void>();
  readonly showSettings = output<void>();
  readonly editTags = output<void>();
  readonly toggleArchived = output<void>();
  readonly showShare = output<void>();
  readonly showAccount = output<void>();
  readonly createAccount = output<void>();
}
