import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { provideZonelessChangeDetection } from '@angular/core';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import type { SharedConversationDto } from '../api/models/shared-conversation-dto';
import { STORAGE_KEYS } from '../core/browser-storage';
import { errorBody, nextRequest, settle } from '../testing/http';
import { SHARE_GONE, SharedPage } from './shared-page';
import { sharedIdIn } from './shared-path';

const CONVERSATION: SharedConversationDto = {
  share_id: 'sh_abc',
  title: 'Tides',
  persona: 'default',
  persona_name: 'Default Assistant',
  created_at: '2026-11-01T10:00:00.000Z',
  expires_at: null,
  messages: [
    { role: 'user', content: 'Why are there tides?', created_at: '2026-11-01T09:00:00.000Z' },
    { role: 'assistant', content: 'Mostly **the Moon**.', created_at: '2026-11-01T09:00:05.000Z' },
  ],
};

describe('sharedIdIn', () => {
  it('reads the share id of /shared/{id} and nothing else', () => {
    expect(sharedIdIn('/shared/sh_abc')).toBe('sh_abc');
    expect(sharedIdIn('/shared/sh_abc/')).toBe('sh_abc');
    expect(sharedIdIn('/s/s_1')).toBeNull();
    expect(sharedIdIn('/shared/')).toBeNull();
    expect(sharedIdIn('/shared/a/b')).toBeNull();
  });
});

describe('SharedPage', () => {
  let fixture: ComponentFixture<SharedPage>;
  let http: HttpTestingController;
  let go: ReturnType<typeof vi.fn<(path: string) => void>>;

  async function open(answer: (path: string) => Promise<void>): Promise<void> {
    fixture = TestBed.createComponent(SharedPage);
    await answer('/api/shared/sh_abc');
    await settle();
    await fixture.whenStable();
  }

  const text = () => (fixture.nativeElement as HTMLElement).textContent ?? '';
  const continueButton = () =>
    Array.from((fixture.nativeElement as HTMLElement).querySelectorAll('button')).find((b) => b.textContent?.includes('Continue this conversation'))!;

  beforeEach(() => {
    history.replaceState(null, '', '/shared/sh_abc');
    localStorage.clear();
    TestBed.configureTestingModule({
      providers: [provideZonelessChangeDetection(), provideHttpClient(), provideHttpClientTesting(), { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } }],
    });
    http = TestBed.inject(HttpTestingController);
    go = vi.fn<(path: string) => void>();
    vi.spyOn(SharedPage.prototype as unknown as { go: (path: string) => void }, 'go').mockImplementation(go);
  });
  afterEach(() => {
    http.verify();
    history.replaceState(null, '', '/');
    localStorage.clear();
  });

  it('shows the conversation without a token and without creating an identity', async () => {
    await open(async (path) => {
      const request = await nextRequest(http, 'GET', path);
      expect(request.request.headers.has('Authorization')).toBe(false);
      request.flush(CONVERSATION);
    });
    await settle();
    await fixture.whenStable();
    expect(text()).toContain('Tides');
    expect(text()).toContain('Why are there tides?');
    expect((fixture.nativeElement as HTMLElement).querySelector('.message.assistant strong')?.textContent).toBe('the Moon');
    expect(localStorage.getItem(STORAGE_KEYS.identity)).toBeNull();
  });

  it('says the link is gone after a 404', async () => {
    await open(async (path) => {
      const { body, init } = errorBody(404, 'Share link not found');
      (await nextRequest(http, 'GET', path)).flush(body, init);
    });
    await settle();
    await fixture.whenStable();
    expect(text()).toContain(SHARE_GONE);
  });

  it('continues as a new guest when this browser has no identity, then opens the copy', async () => {
    await open(async (path) => {
      (await nextRequest(http, 'GET', path)).flush(CONVERSATION);
    });
    await settle();
    await fixture.whenStable();
    continueButton().click();
    (await nextRequest(http, 'POST', '/api/auth/guest')).flush({ user_id: 'u_new', token: 'tok-new' });
    const copy = await nextRequest(http, 'POST', '/api/shared/sh_abc/continue');
    expect(copy.request.headers.get('Authorization')).toBe('Bearer tok-new');
    copy.flush({ session_id: 's_copy' });
    await settle();
    expect(go).toHaveBeenCalledWith('/s/s_copy');
    expect(JSON.parse(localStorage.getItem(STORAGE_KEYS.identity)!)).toEqual({ user_id: 'u_new', token: 'tok-new' });
  });

  it('continues with the identity this browser already has', async () => {
    localStorage.setItem(STORAGE_KEYS.identity, JSON.stringify({ user_id: 'u_me', token: 'tok-me' }));
    await open(async (path) => {
      (await nextRequest(http, 'GET', path)).flush(CONVERSATION);
    });
    await settle();
    await fixture.whenStable();
    continueButton().click();
    const copy = await nextRequest(http, 'POST', '/api/shared/sh_abc/continue');
    expect(copy.request.headers.get('Authorization')).toBe('Bearer tok-me');
    copy.flush({ session_id: 's_mine' });
    await settle();
    expect(go).toHaveBeenCalledWith('/s/s_mine');
  });
});
