import { ChangeDetectionStrategy, Component, computed, inject } from '@angular/core';
import { toSignal } from '@angular/core/rxjs-interop';
import { FormControl, FormGroup, ReactiveFormsModule, ValidatorFn, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatInputModule } from '@angular/material/input';
import { MatSelectModule } from '@angular/material/select';
import { Persona, Session, SessionUpdate, SettingsUpdate } from '../core/api-types';

export interface SessionSettingsDialogData {
  personas: Persona[];
  session: Session;
}

export type NumericSetting = 'temperature' | 'top_p' | 'max_tokens';
export const NUMERIC_SETTINGS: ReadonlyArray<{ name: NumericSetting; label: string; step: number }> = [
  { name: 'temperature', label: 'Temperature', step: 0.1 },
  { name: 'top_p', label: 'Top p', step: 0.05 },
  { name: 'max_tokens', label: 'Max tokens per answer', step: 1 },
];

export interface SettingsValues {
  model: string;
  temperature: number | null;
  top_p: number | null;
  max_tokens: number | null;
}

/**
 * The `settings` to send for a persona: each parameter it allows is set (a value) or cleared (null:
 * the persona's own value applies); the others are left out (the server drops them on a switch).
 */
export function settingsUpdate(persona: Persona | undefined, values: SettingsValues): SettingsUpdate {
  const allowed = persona?.allow_overrides ?? {};
  const update: SettingsUpdate = {};
  if (allowed.model) update.model = values.model === '' ? null : values.model;
  for (const { name } of NUMERIC_SETTINGS) if (allowed[name]) update[name] = values[name];
  return update;
}

/** Persona and model parameters of the open session; closes with the SessionUpdate to send (the page sends it). */
@Component({
  selector: 'nono-session-settings-dialog',
  imports: [MatDialogModule, MatButtonModule, MatFormFieldModule, MatInputModule, MatSelectModule, ReactiveFormsModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './session-settings-dialog.html',
  styles: `
    mat-dialog-content { display: flex; flex-direction: column; gap: 16px; padding-top: 8px !important; }
    mat-form-field { width: 100%; }
    .totals, .none { margin: 0; color: var(--mat-sys-on-surface-variant); font-size: 0.875rem; }
  `,
})
export class SessionSettingsDialog {
  private readonly dialogRef = inject<MatDialogRef<SessionSettingsDialog, SessionUpdate>>(MatDialogRef);
  protected readonly data = inject<SessionSettingsDialogData>(MAT_DIALOG_DATA);
  protected readonly numericSettings = NUMERIC_SETTINGS;

  private readonly current = this.data.session.settings ?? {};
  protected readonly form = new FormGroup({
    persona: new FormControl(this.data.session.persona, { nonNullable: true, validators: [Validators.required] }),
    model: new FormControl(this.current.model ?? '', { nonNullable: true }),
    temperature: new FormControl<number | null>(this.current.temperature ?? null),
    top_p: new FormControl<number | null>(this.current.top_p ?? null),
    max_tokens: new FormControl<number | null>(this.current.max_tokens ?? null),
  });

  private readonly personaKey = toSignal(this.form.controls.persona.valueChanges, { initialValue: this.form.controls.persona.value });
  protected readonly persona = computed(() => this.data.personas.find((p) => p.key === this.personaKey()));
  protected readonly allowed = computed(() => this.persona()?.allow_overrides ?? {});
  protected readonly adjustable = computed(() => NUMERIC_SETTINGS.filter((s) => this.allowed()[s.name]));
  protected readonly usage = this.data.session.usage;

  constructor() {
    this.form.controls.persona.valueChanges.subscribe(() => this.applyLimits());
    this.applyLimits();
  }

  /** The persona's value, shown when no override is set. */
  protected personaDefault(name: NumericSetting | 'model'): string {
    const value = this.persona()?.[name];
    return value === undefined ? 'the server default' : String(value);
  }

  protected save(): void {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { persona, ...values } = this.form.getRawValue();
    const update: SessionUpdate = { settings: settingsUpdate(this.persona(), values) };
    if (persona !== this.data.session.persona) update.persona = persona;
    this.dialogRef.close(update);
  }

  /** Each field's limits are the selected persona's; a value it does not allow is cleared. */
  private applyLimits(): void {
    const allowed = this.allowed();
    for (const { name } of NUMERIC_SETTINGS) {
      const control = this.form.controls[name];
      const range = allowed[name];
      const validators: ValidatorFn[] = range ? [Validators.min(range.min), Validators.max(range.max)] : [];
      if (name === 'max_tokens') validators.push(Validators.pattern(/^\d+$/));
      control.setValidators(validators);
      if (!range) control.setValue(null);
      control.updateValueAndValidity({ emitEvent: false });
    }
    const models = allowed.model ?? [];
    if (!models.includes(this.form.controls.model.value)) this.form.controls.model.setValue('');
  }
}
