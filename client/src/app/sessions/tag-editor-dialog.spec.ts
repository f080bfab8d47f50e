import { HarnessLoader } from '@angular/cdk/testing';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MatButtonHarness } from '@angular/material/button/testing';
import { MatDialog } from '@angular/material/dialog';
import { MatDialogHarness } from '@angular/material/dialog/testing';
import { setUpDialogTest } from '../testing/test-setup';
import { TagEditorDialog, TagEditorDialogData } from './tag-editor-dialog';

describe('TagEditorDialog', () => {
  let loader: HarnessLoader;
  let fixture: ComponentFixture<unknown>;
  let result: string[] | undefined | 'open';

  beforeEach(() => ({ loader, fixture } = setUpDialogTest()));
  afterEach(() => TestBed.inject(MatDialog).closeAll());

  async function open(tags: string[]): Promise<MatDialogHarness> {
    result = 'open';
    TestBed.inject(MatDialog)
      .open<TagEditorDialog, TagEditorDialogData, string[]>(TagEditorDialog, { data: { name: 'Trip', tags } })
      .afterClosed()
      .subscribe((value) => (result = value));
    await fixture.whenStable();
    return loader.getHarness(MatDialogHarness);
  }

  function type(text: string, enter = true): void {
    const field = document.querySelector<HTMLInputElement>('#new-tag')!;
    field.value = text;
    if (enter) field.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
  }

  const chips = () => Array.from(document.querySelectorAll('.chip')).map((c) => c.textContent?.trim());

  it('adds tags trimmed and in lower case, once each, removes them, and closes with the list', async () => {
    const dialog = await open(['family']);
    expect(await dialog.getTitleText()).toBe('Tags of “Trip”');
    type('  Work ');
    type('work');
    await fixture.whenStable();
    expect(chips()).toEqual(['#family', '#work']);
    document.querySelector<HTMLButtonElement>('button[aria-label="Remove tag family"]')!.click();
    await fixture.whenStable();
    expect(chips()).toEqual(['#work']);
    type('later', false);
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Save' }))).click();
    expect(result).toEqual(['work', 'later']);
  });

  it('closes with nothing on Cancel', async () => {
    const dialog = await open(['family']);
    type('work');
    await (await dialog.getHarness(MatButtonHarness.with({ text: 'Cancel' }))).click();
    expect(result).toBeUndefined();
  });
});
