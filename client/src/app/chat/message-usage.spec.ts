import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { Clipboard } from '@angular/cdk/clipboard';
import { provideZonelessChangeDetection } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Message } from '../core/api-types';
import { aMessage } from '../testing/fixtures';
import { nextRequest, settle } from '../testing/http';
import { MessageItem } from './message-item';
import { MessageUsage, usageLine } from './message-usage';

const answer: Message = aMessage({
  id: 'm_answer',
  role: 'assistant',
  content: 'Restart the router.',
  status: 'complete',
  usage: { prompt_tokens: 1234, completion_tokens: 56, total_tokens: 1290 },
  context: { messages: 3, tokens: 1200 },
});

describe('usageLine', () => {
  it('says tokens in and out and how many earlier messages the model saw', () => {
    expect(usageLine(answer)).toBe('in 1,234 · out 56 tokens · saw 3 earlier messages');
    expect(usageLine({ usage: null, context: { messages: 1, tokens: 10 } })).toBe('saw 1 earlier message');
    expect(usageLine({})).toBe('');
  });
});

describe('MessageUsage', () => {
  let fixture: ComponentFixture<MessageUsage>;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({ providers: [provideZonelessChangeDetection(), provideHttpClient(), provideHttpClientTesting()] });
    http = TestBed.inject(HttpTestingController);
    fixture = TestBed.createComponent(MessageUsage);
    fixture.componentRef.setInput('message', answer);
    fixture.componentRef.setInput('sessionId', 's_one');
  });

  const text = () => (fixture.nativeElement as HTMLElement).textContent ?? '';
  const toggle = () => (fixture.nativeElement as HTMLElement).querySelector('button')!;

  it('loads what the model saw on first open, shows it in order with the persona instructions first, and hides it again', async () => {
    await fixture.whenStable();
    expect(text()).toContain('in 1,234 · out 56 tokens · saw 3 earlier messages');
    expect(toggle().getAttribute('aria-expanded')).toBe('false');
    toggle().click();
    await fixture.whenStable();
    expect(text()).toContain('Loading');
    (await nextRequest(http, 'GET', '/api/sessions/s_one/messages/m_answer/context')).flush({
      message_id: 'm_answer',
      persona: 'technical_support',
      model: 'test-model',
      tokens: 1200,
      exact: true,
      messages: [
        { role: 'system', content: 'Fix it.' },
        { role: 'user', content: 'No internet', id: 'm_q' },
      ],
    });
    await settle();
    await fixture.whenStable();
    const items = [...(fixture.nativeElement as HTMLElement).querySelectorAll('li')].map((li) => [
      li.querySelector('.who')?.textContent?.trim(),
      li.querySelector('.text')?.textContent,
    ]);
    expect(items).toEqual([
      ['Persona instructions', 'Fix it.'],
      ['You', 'No internet'],
    ]);
    expect(toggle().getAttribute('aria-expanded')).toBe('true');

    toggle().click();
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelectorAll('li')).toHaveLength(0);
    toggle().click();
    await fixture.whenStable();
    http.expectNone('/api/sessions/s_one/messages/m_answer/context');
    expect((fixture.nativeElement as HTMLElement).querySelectorAll('li')).toHaveLength(2);
  });

  it('says why when the context cannot be loaded', async () => {
    await fixture.whenStable();
    toggle().click();
    (await nextRequest(http, 'GET', '/api/sessions/s_one/messages/m_answer/context')).flush(
      { statusCode: 404, error: 'Not Found', message: 'Message not found in this session' },
      { status: 404, statusText: 'Not Found' },
    );
    await settle();
    await fixture.whenStable();
    expect(text()).toContain('Could not load what the model saw');
  });
});

describe('MessageItem copy and usage', () => {
  let fixture: ComponentFixture<MessageItem>;
  const copy = vi.fn(() => true);

  beforeEach(() => {
    copy.mockClear();
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideHttpClient(), provideHttpClientTesting(), { provide: Clipboard, useValue: { copy } }],
    });
    fixture = TestBed.createComponent(MessageItem);
  });

  it('copies any message text and says so', async () => {
    fixture.componentRef.setInput('message', aMessage({ content: 'my question' }));
    await fixture.whenStable();
    const button = (fixture.nativeElement as HTMLElement).querySelector<HTMLButtonElement>('button.copy')!;
    expect(button.getAttribute('aria-label')).toBe('Copy message');
    button.click();
    await fixture.whenStable();
    expect(copy).toHaveBeenCalledWith('my question');
    expect(button.getAttribute('aria-label')).toBe('Copied');
  });

  it('shows the usage line under answers of the open session only', async () => {
    fixture.componentRef.setInput('message', answer);
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('nono-message-usage')).toBeNull();
    fixture.componentRef.setInput('sessionId', 's_one');
    await fixture.whenStable();
    expect((fixture.nativeElement as HTMLElement).querySelector('nono-message-usage')?.textContent).toContain('saw 3 earlier messages');
  });
});
