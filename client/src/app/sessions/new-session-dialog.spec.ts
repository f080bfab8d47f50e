import { HarnessLoader } from '@angular/cdk/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatDialog } from '@angular/material/dialog';
import { MatDialogHarness } from '@angular/material/dialog/testing';
import { MatFormFieldHarness } from '@angular/material/form-field/testing';
import { MatInputHarness } from '@angular/material/input/testing';
import { MatSelectHarness } from '@angular/material/select/testing';
import { NewSession } from '../core/api-types';
import { PERSONAS, setUpDialogTest } from '../testing/test-setup';
import { NewSessionDialog, NewSessionDialogData } from './new-session-dialog';

describe('NewSessionDialog', () => {
  let loader: HarnessLoader;
  let fixture: ComponentFixture<unknown>;
  let result: NewSession | undefined | 'open';

  async function open(data: NewSessionDialogData = { personas: PERSONAS }): Promise<MatDialogHarness> {
    result = 'open';
    TestBed.inject(MatDialog)
      .open<NewSessionDialog, NewSessionDialogData, NewSession>(NewSessionDialog, { data, autoFocus: false })
      .afterClosed()
      .subscribe((value) => (result = value));
    return loader.getHarness(MatDialogHarness);
  }

  beforeEach(() => {
    ({ loader, fixture } = setUpDialogTest());
  });

  afterEach(() => TestBed.inject(MatDialog).closeAll());

  it('lists every persona with its name and description', async () => {
    const dialog = await open();
    expect(await dialog.getTitleText()).toBe('New session');
    const select = await dialog.getHarness(MatSelectHarness);
    await select.open();
    const options = await select.getOptions();
    const texts = await Promise.all(options.map((o) => o.getText()));
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain('Default Assistant');
    expect(texts[0]).toContain('A helpful, general-purpose assistant.');
    expect(texts[1]).toContain('Technical Support');
  });

  it('closes with the display name and the chosen persona on Create Session', async () => {
    const dialog = await open();
    await (await dialog.getHarness(MatInputHarness)).setValue('  Test Session  ');
    const select = await dialog.getHarness(MatSelectHarness);
    await select.open();
    await select.clickOptions({ text: /Technical Support/ });
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Create Session' }))).click();
    expect(result).toEqual({ display_name: 'Test Session', persona: 'technical_support' });
  });

  it('leaves the display name out when it is empty', async () => {
    const dialog = await open({ personas: PERSONAS, persona: 'default' });
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Create Session' }))).click();
    expect(result).toEqual({ persona: 'default' });
  });

  it('submits like Enter does (the form has a submit button, so Enter in a field submits it)', async () => {
    const dialog = await open({ personas: PERSONAS, persona: 'default' });
    await (await dialog.getHarness(MatInputHarness)).setValue('Keyboard');
    (document.querySelector('nono-new-session-dialog form') as HTMLFormElement).requestSubmit();
    await fixture.whenStable();
    expect(result).toEqual({ display_name: 'Keyboard', persona: 'default' });
  });

  it('requires a persona and says so', async () => {
    const dialog = await open();
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Create Session' }))).click();
    expect(result).toBe('open');
    const field = await dialog.getHarness(MatFormFieldHarness.with({ floatingLabelText: /Persona/ }));
    expect(await field.getTextErrors()).toEqual(['Choose a persona for this session.']);
  });

  it('rejects a name over 200 characters', async () => {
    const dialog = await open({ personas: PERSONAS, persona: 'default' });
    await (await dialog.getHarness(MatInputHarness)).setValue('x'.repeat(201));
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Create Session' }))).click();
    expect(result).toBe('open');
    const field = await dialog.getHarness(MatFormFieldHarness.with({ floatingLabelText: /Display name/ }));
    expect(await field.getTextErrors()).toEqual(['At most 200 characters.']);
  });

  it('closes with nothing on Cancel', async () => {
    const dialog = await open();
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Cancel' }))).click();
    expect(result).toBeUndefined();
  });
});
