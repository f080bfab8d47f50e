import { TestBed } from '@angular/core/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { FirstPaint } from './first-paint';

describe('FirstPaint', () => {
  let firstPaint: FirstPaint;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection()] });
    firstPaint = TestBed.inject(FirstPaint);
  });

  afterEach(() => vi.useRealTimers());

  it('holds work until the first screen is painted, then runs it once; later work runs at once', () => {
    const ran: string[] = [];
    firstPaint.then(() => ran.push('stream'));
    firstPaint.then(() => ran.push('model check'));
    expect(ran).toEqual([]);
    expect(firstPaint.painted()).toBe(false);

    firstPaint.done();
    firstPaint.done();
    expect(ran).toEqual(['stream', 'model check']);
    expect(firstPaint.painted()).toBe(true);

    firstPaint.then(() => ran.push('after'));
    expect(ran).toEqual(['stream', 'model check', 'after']);
  });

  it('runs held work after 3 s when no paint is reported (a hidden tab paints no frames)', () => {
    vi.useFakeTimers();
    const ran: string[] = [];
    firstPaint.then(() => ran.push('stream'));
    vi.advanceTimersByTime(2999);
    expect(ran).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(ran).toEqual(['stream']);
    expect(firstPaint.painted()).toBe(true);
  });
});
