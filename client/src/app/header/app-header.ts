import { ChangeDetectionStrategy, Component, inject, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatToolbarModule } from '@angular/material/toolbar';
import { IdentityStore } from '../core/identity-store';
import { ThemeService } from '../core/theme';
import { Icon } from '../shared/icon';
import { SessionState } from '../state/session-state';

/** Product name, the open session, who I am, and the New / Sessions / theme controls. */
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

  readonly newSession = output<void>();
  readonly showSessions = output<void>();
}
