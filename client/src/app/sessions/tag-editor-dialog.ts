import { ChangeDetectionStrategy, Component, ElementRef, inject, signal, viewChild } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule, MatDialogRef } from '@angular/material/dialog';
import { Icon } from '../shared/icon';
import { MAX_TAGS, normalizeTag, TAG_MAX_LENGTH } from './session-list-store';

export interface TagEditorDialogData {
  /** The session's name, for the title. */
  name: string;
  tags: string[];
}


/** Adds and removes a session's tags; closes with the new list (the page saves it). */
@Component({
  selector: 'nono-tag-editor-dialog',
  imports: [MatDialogModule, MatButtonModule, Icon],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2 mat-dialog-title>Tags of “{{ data.name }}”</h2>
    <mat-dialog-content>
      <ul class="tags" aria-label="Tags">
        @for (tag of tags(); track tag) {
          <li class="chip">
            #{{ tag }}
            <button type="button" class="remove" (click)="remove(tag)" [attr.aria-label]="'Remove tag ' + tag"><nono-icon name="close" /></button>
          </li>
        } @empty {
          <li class="none">No tags yet.</li>
        }
      </ul>
      <div class="add">
        <label for="new-tag">New tag</label>
        <input
          #field
          id="new-tag"
          [maxLength]="TAG_MAX_LENGTH"
          autocomplete="off"
          placeholder="e.g. work"
          [disabled]="tags().length >= MAX_TAGS"
          (keydown.enter)="$event.preventDefault(); add(field.value)"
        />
        <button mat-stroked-button type="button" [disabled]="tags().length >= MAX_TAGS" (click)="add(field.value)">Add</button>
      </div>
      @if (tags().length >= MAX_TAGS) {
        <p class="hint">A session has at most {{ MAX_TAGS }} tags.</p>
      }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button type="button" [mat-dialog-close]="undefined">Cancel</button>
      <button mat-flat-button type="button" (click)="save(field.value)">Save</button>
    </mat-dialog-actions>
  `,
  styles: `
    .tags { list-style: none; display: flex; flex-wrap: wrap; gap: 6px; margin: 0 0 12px; padding: 0; }
    .chip {
      display: inline-flex; align-items: center; gap: 2px; padding: 2px 4px 2px 10px; border-radius: 12px;
      background: var(--mat-sys-tertiary-container); color: var(--mat-sys-on-tertiary-container);
    }
    .remove { display: inline-flex; border: none; background: none; color: inherit; cursor: pointer; padding: 2px; border-radius: 50%; }
    .remove nono-icon { width: 16px; height: 16px; }
    .none, .hint { color: var(--mat-sys-on-surface-variant); font-size: 0.875rem; }
    .add { display: flex; align-items: center; gap: 8px; }
    .add input {
      flex: 1 1 auto; min-width: 0; font: inherit; padding: 8px 10px; border-radius: 8px;
      border: 1px solid var(--mat-sys-outline); background: var(--mat-sys-surface); color: var(--mat-sys-on-surface);
    }
  `,
})
export class TagEditorDialog {
  protected readonly data = inject<TagEditorDialogData>(MAT_DIALOG_DATA);
  private readonly dialogRef = inject<MatDialogRef<TagEditorDialog, string[]>>(MatDialogRef);
  private readonly field = viewChild.required<ElementRef<HTMLInputElement>>('field');
  protected readonly tags = signal<string[]>([...this.data.tags]);
  protected readonly MAX_TAGS = MAX_TAGS;
  protected readonly TAG_MAX_LENGTH = TAG_MAX_LENGTH;

  protected add(text: string): void {
    const tag = normalizeTag(text);
    if (tag && tag.length <= TAG_MAX_LENGTH && !this.tags().includes(tag) && this.tags().length < MAX_TAGS) {
      this.tags.update((tags) => [...tags, tag]);
    }
    this.field().nativeElement.value = '';
  }

  protected remove(tag: string): void {
    this.tags.update((tags) => tags.filter((t) => t !== tag));
  }

  /** A tag typed but not added yet counts too. */
  protected save(pending: string): void {
    if (pending.trim()) this.add(pending);
    this.dialogRef.close(this.tags());
  }
}
