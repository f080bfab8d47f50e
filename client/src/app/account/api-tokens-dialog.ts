import { ClipboardModule } from '@angular/cdk/clipboard';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatDialogModule } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Api } from '../api/api';
import { createApiToken } from '../api/fn/tokens/create-api-token';
import { listApiTokens } from '../api/fn/tokens/list-api-tokens';
import { revokeApiToken } from '../api/fn/tokens/revoke-api-token';
import { problemOf, statusOf } from '../core/api-error';
import { ApiToken, ApiTokenCreated, NewApiToken } from '../core/api-types';
import { Clock } from '../core/clock';
import { exactTime, relativeTime, timeLeft } from '../core/time-format';
import { Icon } from '../shared/icon';

/** Same limits as the server. */
const NAME_MAX = 100;
const DAYS_MAX = 3650;

/**
 * My personal API tokens: list, create (the secret shown this once, with a copy button) and
 * revoke after a confirmation. A management dialog: it calls the API itself.
 */
@Component({
  selector: 'nono-api-tokens-dialog',
  imports: [ClipboardModule, ReactiveFormsModule, MatButtonModule, MatDialogModule, MatFormFieldModule, MatInputModule, MatProgressBarModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './api-tokens-dialog.html',
  styleUrl: './api-tokens-dialog.scss',
})
export class ApiTokensDialog {
  private readonly api = inject(Api);
  protected readonly now = inject(Clock).now;

  protected readonly tokens = signal<ApiToken[]>([]);
  protected readonly loading = signal(true);
  protected readonly problem = signal<string | null>(null);
  /** The token just created: its secret is shown until the dialog closes, never again. */
  protected readonly created = signal<ApiTokenCreated | null>(null);
  protected readonly copied = signal(false);
  protected readonly confirming = signal<string | null>(null);

  protected readonly form = new FormGroup({
    name: new FormControl('', { nonNullable: true, validators: [Validators.required, Validators.maxLength(NAME_MAX)] }),
    days: new FormControl<number | null>(null, [Validators.min(1), Validators.max(DAYS_MAX)]),
  });
  protected readonly nameMax = NAME_MAX;
  protected readonly daysMax = DAYS_MAX;
  protected readonly relativeTime = relativeTime;
  protected readonly timeLeft = timeLeft;
  protected readonly exactTime = exactTime;

  constructor() {
    void this.load();
  }

  protected async create(): Promise<void> {
    if (this.form.invalid) return;
    const { name, days } = this.form.getRawValue();
    const body: NewApiToken = { name: name.trim(), ...(days ? { expires_in_days: days } : {}) };
    await this.run(async () => {
      this.created.set(await this.api.invoke(createApiToken, { body }));
      this.copied.set(false);
      this.form.reset();
      await this.load();
    });
  }

  protected async revoke(token: ApiToken): Promise<void> {
    this.confirming.set(null);
    await this.run(async () => {
      try {
        await this.api.invoke(revokeApiToken, { id: token.id });
      } catch (error) {
        // Already gone (revoked elsewhere or expired): the list below shows the truth.
        if (statusOf(error) !== 404) throw error;
      }
      if (this.created()?.id === token.id) this.created.set(null);
      await this.load();
    });
  }

  private async load(): Promise<void> {
    await this.run(async () => this.tokens.set((await this.api.invoke(listApiTokens)).tokens));
  }

  private async run(work: () => Promise<void>): Promise<void> {
    this.loading.set(true);
    this.problem.set(null);
    try {
      await work();
    } catch (error) {
      this.problem.set(problemOf(error).message);
    } finally {
      this.loading.set(false);
    }
  }
}
