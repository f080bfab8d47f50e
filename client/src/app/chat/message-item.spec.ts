import { provideZonelessChangeDetection } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { aMessage } from '../testing/fixtures';
import { settle } from '../testing/http';
import { MessageItem } from './message-item';

describe('MessageItem: versions and actions', () => {
  let fixture: ComponentFixture<MessageItem>;
  const el = () => fixture.nativeElement as HTMLElement;
  const button = (label: string) => el().querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`);

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection()] });
    fixture = TestBed.createComponent(MessageItem);
    fixture.componentRef.setInput('actions', true);
  });

  it('shows "‹ n/m ›" only with siblings and emits the step', async () => {
    fixture.componentRef.setInput('message', aMessage({ role: 'user', content: 'hi' }));
    await fixture.whenStable();
    expect(el().querySelector('.versions')).toBeNull();

    fixture.componentRef.setInput('message', aMessage({ role: 'user', content: 'hi', sibling_index: 1, sibling_count: 3 }));
    await fixture.whenStable();
    expect(el().querySelector('.versions')?.getAttribute('aria-label')).toBe('Version 2 of 3');
    expect(el().querySelector('.count')?.textContent).toBe('2/3');
    const steps: number[] = [];
    fixture.componentInstance.version.subscribe((step) => steps.push(step));
    button('Previous version')!.click();
    button('Next version')!.click();
    expect(steps).toEqual([-1, 1]);
  });

  it('edit: Esc cancels and returns focus to Edit; Enter sends the new text', async () => {
    document.body.appendChild(el());
    const message = aMessage({ role: 'user', content: 'old text' });
    fixture.componentRef.setInput('message', message);
    await fixture.whenStable();
    const edits: Array<{ content: string }> = [];
    fixture.componentInstance.edit.subscribe((e) => edits.push(e));

    button('Edit message')!.click();
    await fixture.whenStable();
    await settle();
    const area = el().querySelector('textarea')!;
    expect(area.value).toBe('old text');
    expect(document.activeElement).toBe(area);
    area.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape' }));
    await fixture.whenStable();
    await settle();
    expect(el().querySelector('textarea')).toBeNull();
    expect(document.activeElement).toBe(button('Edit message'));
    expect(edits).toEqual([]);

    button('Edit message')!.click();
    await fixture.whenStable();
    const editor = el().querySelector('textarea')!;
    editor.value = 'new text';
    editor.dispatchEvent(new Event('input'));
    editor.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    await fixture.whenStable();
    expect(edits).toEqual([{ entry: message, content: 'new text' }]);
    el().remove();
  });

  it('answers: thumbs show the stored rating and emit a new one; delete asks first', async () => {
    const answer = aMessage({ role: 'assistant', content: 'an answer', feedback: { rating: 'up', updated_at: '2026-01-01T00:00:00Z' } });
    fixture.componentRef.setInput('message', answer);
    await fixture.whenStable();
    expect(button('Good answer')!.getAttribute('aria-pressed')).toBe('true');
    expect(button('Bad answer')!.getAttribute('aria-pressed')).toBe('false');
    expect(button('Edit message')).toBeNull();
    const ratings: Array<string | null> = [];
    fixture.componentInstance.rate.subscribe((r) => ratings.push(r.rating));
    button('Bad answer')!.click();
    expect(ratings).toEqual(['down']);
    // The thumb already on, pressed again: the rating is removed.
    button('Good answer')!.click();
    expect(ratings).toEqual(['down', null]);

    const removed: string[] = [];
    fixture.componentInstance.remove.subscribe((m) => removed.push(m.id));
    button('Delete message')!.click();
    await fixture.whenStable();
    expect(removed).toEqual([]);
    el().querySelector<HTMLButtonElement>('.confirm button')!.click();
    expect(removed).toEqual([answer.id]);
  });
});
