import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { Composer } from './composer';

describe('Composer', () => {
  beforeEach(() => TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection()] }));

  it('after Stop, focus goes back to the message box once Send returns', async () => {
    const fixture = TestBed.createComponent(Composer);
    document.body.append(fixture.nativeElement);
    const stops: number[] = [];
    fixture.componentInstance.stop.subscribe(() => stops.push(1));
    fixture.componentRef.setInput('streaming', true);
    await fixture.whenStable();
    const stop = fixture.nativeElement.querySelector('button.stop') as HTMLButtonElement;
    stop.focus();
    stop.click();
    expect(stops).toHaveLength(1);

    fixture.componentRef.setInput('streaming', false);
    await fixture.whenStable();
    expect(fixture.nativeElement.querySelector('button.stop')).toBeNull();
    expect(document.activeElement).toBe(fixture.nativeElement.querySelector('#message-input'));
    fixture.nativeElement.remove();
  });

  it('leaves the focus alone when the answer ends by itself and Stop never had it', async () => {
    const fixture = TestBed.createComponent(Composer);
    document.body.append(fixture.nativeElement);
    const elsewhere = document.createElement('button');
    document.body.append(elsewhere);
    fixture.componentRef.setInput('streaming', true);
    await fixture.whenStable();
    elsewhere.focus();
    fixture.componentRef.setInput('streaming', false);
    await fixture.whenStable();
    expect(document.activeElement).toBe(elsewhere);
    elsewhere.remove();
    fixture.nativeElement.remove();
  });
});
