import { HarnessLoader } from '@angular/cdk/testing';
import { TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatDialog } from '@angular/material/dialog';
import { MatDialogHarness } from '@angular/material/dialog/testing';
import { MatFormFieldHarness } from '@angular/material/form-field/testing';
import { MatInputHarness } from '@angular/material/input/testing';
import { MatSelectHarness } from '@angular/material/select/testing';
import { Persona, SessionUpdate } from '../core/api-types';
import { aSession } from '../testing/fixtures';
import { setUpDialogTest } from '../testing/test-setup';
import { SessionSettingsDialog, SessionSettingsDialogData, settingsUpdate } from './session-settings-dialog';

const PERSONAS: Persona[] = [
  {
    key: 'alpha',
    name: 'Alpha',
    description: '',
    system_prompt: 'A',
    temperature: 0.5,
    allow_overrides: { temperature: { min: 0, max: 1 }, max_tokens: { min: 10, max: 500 }, model: ['small', 'big'] },
  },
  { key: 'plain', name: 'Plain', description: '', system_prompt: 'P', allow_overrides: {} },
];

describe('settingsUpdate', () => {
  it('sets or clears each parameter the persona allows and leaves the others out', () => {
    expect(settingsUpdate(PERSONAS[0], { model: '', temperature: 0.3, top_p: 0.9, max_tokens: null })).toEqual({
      model: null,
      temperature: 0.3,
      max_tokens: null,
    });
    expect(settingsUpdate(PERSONAS[1], { model: 'big', temperature: 0.3, top_p: null, max_tokens: 5 })).toEqual({});
  });
});

describe('SessionSettingsDialog', () => {
  let loader: HarnessLoader;
  let result: SessionUpdate | undefined | 'open';

  async function open(data: SessionSettingsDialogData): Promise<MatDialogHarness> {
    result = 'open';
    TestBed.inject(MatDialog)
      .open<SessionSettingsDialog, SessionSettingsDialogData, SessionUpdate>(SessionSettingsDialog, { data, autoFocus: false })
      .afterClosed()
      .subscribe((value) => (result = value));
    return loader.getHarness(MatDialogHarness);
  }

  beforeEach(() => {
    ({ loader } = setUpDialogTest());
  });
  afterEach(() => TestBed.inject(MatDialog).closeAll());

  const session = aSession({
    persona: 'alpha',
    settings: { temperature: 0.2 },
    usage: { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500, answers: 4 },
  });

  it('shows only the fields the persona allows, with their limits, and the session totals', async () => {
    const dialog = await open({ personas: PERSONAS, session });
    const labels = await Promise.all((await dialog.getAllHarnesses(MatFormFieldHarness)).map((f) => f.getLabel()));
    expect(labels).toEqual(['Persona', 'Model', 'Temperature', 'Max tokens per answer']);
    const temperature = await dialog.getHarness(MatFormFieldHarness.with({ floatingLabelText: 'Temperature' }));
    expect(await temperature.getTextHints()).toEqual(["0 to 1; empty: the persona's value (0.5)."]);
    expect(await (await dialog.getHarness(MatInputHarness.with({ placeholder: '0.5' }))).getValue()).toBe('0.2');
    expect(await dialog.getText()).toContain('This session: 4 answers · in 1,200 · out 300 tokens');
  }, 30_000);

  it('closes with the settings to send; out of range values keep it open with the limits shown', async () => {
    const dialog = await open({ personas: PERSONAS, session });
    const temperature = await dialog.getHarness(MatInputHarness.with({ placeholder: '0.5' }));
    await temperature.setValue('1.5');
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Save' }))).click();
    expect(result).toBe('open');
    const field = await dialog.getHarness(MatFormFieldHarness.with({ floatingLabelText: 'Temperature' }));
    expect(await field.getTextErrors()).toEqual(['Between 0 and 1.']);
    await temperature.setValue('0.8');
    const model = (await dialog.getAllHarnesses(MatSelectHarness))[1];
    await model.open();
    await model.clickOptions({ text: 'big' });
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Save' }))).click();
    expect(result).toEqual({ settings: { model: 'big', temperature: 0.8, max_tokens: null } });
  }, 30_000);

  it('switching to a persona that allows nothing hides the fields and sends the new persona', async () => {
    const dialog = await open({ personas: PERSONAS, session });
    const persona = (await dialog.getAllHarnesses(MatSelectHarness))[0];
    await persona.open();
    await persona.clickOptions({ text: 'Plain' });
    expect(await dialog.getAllHarnesses(MatFormFieldHarness)).toHaveLength(1);
    expect(await dialog.getText()).toContain("This persona's model parameters cannot be changed.");
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Save' }))).click();
    expect(result).toEqual({ persona: 'plain', settings: {} });
  }, 30_000);
});
