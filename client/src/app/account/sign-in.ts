import { ChangeDetectionStrategy, Component, computed, inject, output, signal } from '@angular/core';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { AuthState } from '../state/auth-state';
import { signInProblems, SignInProblems } from './sign-in-problems';

const NO_PROBLEMS: SignInProblems = { username: null, password: null, form: null };

/**
 * Sign in or create an account on an accounts server; also single sign-on and "continue as guest"
 * when the server offers them. Emits `done` once an identity is stored (or a guest is chosen).
 */
@Component({
  selector: 'nono-sign-in',
  imports: [ReactiveFormsModule, MatButtonModule, MatCardModule, MatFormFieldModule, MatInputModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './sign-in.html',
  styleUrl: './sign-in.scss',
})
export class SignIn {
  protected readonly auth = inject(AuthState);
  readonly done = output<void>();

  protected readonly request = computed(() => this.auth.signIn() ?? { reason: null, register: false, cancellable: false });
  protected readonly registering = signal(this.request().register && this.auth.registrationOpen());
  protected readonly busy = signal(false);
  protected readonly problems = signal<SignInProblems>(NO_PROBLEMS);
  protected readonly title = computed(() => (this.registering() ? 'Create account' : 'Sign in'));
  protected readonly guestsAllowed = computed(() => this.auth.settings()?.guests_allowed === true && !this.request().cancellable);

  protected readonly form = new FormGroup({
    username: new FormControl('', { nonNullable: true, validators: Validators.required }),
    password: new FormControl('', { nonNullable: true, validators: Validators.required }),
  });

  constructor() {
    // A problem belongs to what was sent; editing the form clears it.
    this.form.valueChanges.subscribe(() => this.problems.set(NO_PROBLEMS));
  }

  protected toggleRegistering(): void {
    this.registering.update((value) => !value);
    this.problems.set(NO_PROBLEMS);
  }

  protected async submit(): Promise<void> {
    if (this.form.invalid || this.busy()) return;
    this.busy.set(true);
    try {
      await this.auth.signInWith(this.form.getRawValue(), this.registering() ? 'register' : 'login');
      this.done.emit();
    } catch (error) {
      this.problems.set(signInProblems(error));
    } finally {
      this.busy.set(false);
    }
  }

  protected continueAsGuest(): void {
    this.auth.continueAsGuest();
    this.done.emit();
  }
}
