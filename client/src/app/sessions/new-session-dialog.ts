import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { NewSession, Persona } from '../core/api-types';

export interface NewSessionDialogData {
  personas: Persona[];
  /** Pre-selected persona key, if any. */
  persona?: string;
}

/** Same limits as the server: at most 200 characters, no control characters. */
export const DISPLAY_NAME_MAX = 200;
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f]*$/;

/** Edits a new session's display name and persona; closes with the NewSession to create (the page creates it). */
@Component({
  selector: 'nono-new-session-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './new-session-dialog.html',
  styleUrl: './new-session-dialog.scss',
})
export class NewSessionDialog {
  private readonly dialogRef = inject<MatDialogRef<NewSessionDialog, NewSession>>(MatDialogRef);
  protected readonly data = inject<NewSessionDialogData>(MAT_DIALOG_DATA);
  protected readonly maxLength = DISPLAY_NAME_MAX;

  protected readonly form = new FormGroup({
    displayName: new FormControl('', {
      nonNullable: true,
      validators: [Validators.maxLength(DISPLAY_NAME_MAX), Validators.pattern(NO_CONTROL_CHARACTERS)],
    }),
    persona: new FormControl(this.data.persona ?? '', { nonNullable: true, validators: [Validators.required] }),
  });

  private readonly personaKey = toSignal(this.form.controls.persona.valueChanges, { initialValue: this.form.controls.persona.value });
  protected readonly selectedPersona = computed(() => this.data.personas.find((p) => p.key === this.personaKey()));

  protected create(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { displayName, persona } = this.form.getRawValue();
    const name = displayName.trim();
    this.dialogRef.close(name ? { display_name: name, persona } : { persona });
  }
}
