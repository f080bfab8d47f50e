import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  afterNextRender,
  afterRenderEffect,
  computed,
  effect,
  inject,
  Injector,
  signal,
  untracked,
  input,
  output,
  viewChild,
} from '@angular/core';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Clock } from '../core/clock';
import { ChatEntry, Rating } from '../state/chat-state';
import { SessionState } from '../state/session-state';
import { MessageItem } from './message-item';
import { markStartup } from '../core/perf-marks';
import { whenIdle } from '../core/idle';

/** The newest messages render their markdown at once; older ones when scrolled near (they open off screen). */
const EAGER_NEWEST = 8;
/** When a conversation opens, the first frame shows only the newest messages (a screenful and some)... */
const FIRST_FRAME = 10;
/** ...and the rest of the loaded page is added above them this many at a time, when the browser is idle... */
const REVEAL_BATCH = 10;
/** ...starting once the first frames are out (the person is reading the newest ones meanwhile). */
const REVEAL_AFTER_MS = 300;

/** How far above the visible top older messages are requested, so scrolling up does not stall. */
const NEAR_TOP_PX = 1200;

/**
 * The conversation, newest at the bottom. The scroller is a reversed flex column, so its scroll
 * origin is the bottom: it opens at the newest message, stays pinned there while an answer grows,
 * and older pages added at the top do not move what the person is reading. Messages use
 * `content-visibility: auto`, so thousands of loaded messages cost layout only when on screen.
 */
@Component({
  selector: 'nono-message-list',
  imports: [MessageItem, MatProgressBarModule],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './message-list.html',
  styleUrl: './message-list.scss',
})
export class MessageList {
  readonly messages = input.required<ChatEntry[]>();
  /** Index of the first message rendered: > 0 only while a freshly opened conversation is still being added. */
  private readonly head = signal(0);
  protected readonly shown = computed(() => {
    const head = this.head();
    return head > 0 ? this.messages().slice(head) : this.messages();
  });
  readonly draft = input<ChatEntry | null>(null);
  readonly hasOlder = input(false);
  readonly loadingOlder = input(false);
  readonly canRegenerate = input(false);
  /** Id of the message to scroll to and mark (a search result). */
  readonly highlighted = input<string | null>(null);
  readonly loadOlder = output<void>();
  readonly retry = output<ChatEntry>();
  readonly regenerate = output<void>();
  readonly edit = output<{ entry: ChatEntry; content: string }>();
  readonly version = output<{ entry: ChatEntry; step: -1 | 1 }>();
  readonly redo = output<ChatEntry>();
  /** A new rating of a message, or null to remove it. */
  readonly rate = output<{ entry: ChatEntry; rating: Rating | null; comment?: string }>();
  readonly fork = output<ChatEntry>();
  readonly remove = output<ChatEntry>();

  protected readonly sessions = inject(SessionState);
  private readonly injector = inject(Injector);
  protected readonly now = inject(Clock).now;
  protected readonly eagerNewest = EAGER_NEWEST;
  private readonly scroller = viewChild.required<ElementRef<HTMLElement>>('scroller');
  private readonly sentinel = viewChild.required<ElementRef<HTMLElement>>('sentinel');

  constructor() {
    const destroyRef = inject(DestroyRef);
    // A conversation that opens with a full page paints its newest messages first; the older part
    // of the page is added above them (out of view) in idle moments after that first paint, so
    // neither the first paint nor the frames right after it wait for messages nobody sees yet.
    let previousLength = 0;
    let cancelReveal = () => {};
    effect(() => {
      const length = this.messages().length;
      const opened = previousLength === 0 && length > 0;
      previousLength = length;
      cancelReveal();
      if (!opened) {
        // Any other change (a send, a reload, another session): everything, as it is.
        untracked(() => this.head.set(0));
        return;
      }
      const split = length > FIRST_FRAME;
      untracked(() => this.head.set(split ? length - FIRST_FRAME : 0));
      const firstRender = afterNextRender(
        () => {
          markStartup('messages-rendered');
          if (split) cancelReveal = this.revealOlder();
        },
        { injector: this.injector },
      );
      cancelReveal = () => firstRender.destroy();
    });
    destroyRef.onDestroy(() => cancelReveal());
    // A search result's message may be among those not added yet.
    effect(() => {
      if (this.highlighted()) untracked(() => this.head.set(0));
    });
    // Near the top, ask for the older page (or add the rest of this one at once). A native
    // listener: scrolling must not run change detection.
    afterNextRender(() => {
      const scroller = this.scroller().nativeElement;
      const onScroll = () => {
        if (this.head() > 0 && this.nearTop()) this.head.set(0);
        else this.loadOlderIfNearTop();
      };
      scroller.addEventListener('scroll', onScroll, { passive: true });
      destroyRef.onDestroy(() => scroller.removeEventListener('scroll', onScroll));
    });
    // Without scrolling, a page that arrives (or a tall screen) can leave the top within reach:
    // check again whenever what is rendered changed. Read after rendering, so it reuses the layout
    // the frame needs anyway.
    // A search result's message: once rendered, scrolled into the middle of the view.
    let scrolledTo: string | null = null;
    afterRenderEffect({
      read: () => {
        const id = this.highlighted();
        this.shown();
        if (!id) scrolledTo = null;
        if (!id || id === scrolledTo) return;
        const element = this.scroller().nativeElement.querySelector(`[data-message-id="${CSS.escape(id)}"]`);
        if (!element) return;
        scrolledTo = id;
        element.scrollIntoView({ block: 'center' });
      },
    });
    afterRenderEffect({
      read: () => {
        this.shown();
        this.loadOlderIfNearTop();
      },
    });
  }

  /** Adds the messages above the first frame, a batch per idle moment; returns a cancel function. */
  private revealOlder(): () => void {
    let cancel = () => {};
    let next: { destroy(): void } | null = null;
    const step = () => {
      this.head.update((head) => Math.max(0, head - REVEAL_BATCH));
      if (this.head() > 0) next = afterNextRender(() => (cancel = whenIdle(step)), { injector: this.injector });
    };
    const start = setTimeout(() => (cancel = whenIdle(step)), REVEAL_AFTER_MS);
    return () => {
      clearTimeout(start);
      cancel();
      next?.destroy();
    };
  }

  private loadOlderIfNearTop(): void {
    if (this.hasOlder() && !this.loadingOlder() && this.head() === 0 && this.nearTop()) this.loadOlder.emit();
  }

  private nearTop(): boolean {
    const scroller = this.scroller().nativeElement;
    const sentinel = this.sentinel().nativeElement.getBoundingClientRect();
    return sentinel.bottom > scroller.getBoundingClientRect().top - NEAR_TOP_PX;
  }

  /** Back to the newest message (after sending). */
  scrollToNewest(): void {
    this.scroller().nativeElement.scrollTop = 0;
  }
}
