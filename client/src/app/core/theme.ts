import { DOCUMENT, Injectable, computed, inject, signal } from '@angular/core';
import { browserStorage, STORAGE_KEYS } from './browser-storage';

export type ThemeChoice = 'system' | 'light' | 'dark';

/**
 * Light/dark: follows the system until the person picks one. The choice is a class on <html>
 * (styles.scss sets color-scheme from it), so Material's light-dark() tokens switch with no reload.
 */
@Injectable({ providedIn: 'root' })
export class ThemeService {
  private readonly document = inject(DOCUMENT);
  private readonly media = this.document.defaultView?.matchMedia?.('(prefers-color-scheme: dark)');
  private readonly systemDark = signal(this.media?.matches ?? false);
  private readonly choiceState = signal<ThemeChoice>(readChoice());

  readonly choice = this.choiceState.asReadonly();
  readonly isDark = computed(() => {
    const choice = this.choiceState();
    return choice === 'system' ? this.systemDark() : choice === 'dark';
  });

  constructor() {
    this.media?.addEventListener?.('change', (event) => this.systemDark.set(event.matches));
    this.apply();
  }

  /** Switches to the other look; choosing what the system shows anyway goes back to following it. */
  toggle(): void {
    const next: ThemeChoice = this.isDark() ? 'light' : 'dark';
    this.choiceState.set(next === (this.systemDark() ? 'dark' : 'light') ? 'system' : next);
    browserStorage.set(STORAGE_KEYS.theme, this.choiceState() === 'system' ? null : this.choiceState());
    this.apply();
  }

  private apply(): void {
    const classes = this.document.documentElement.classList;
    classes.toggle('light-theme', this.choiceState() === 'light');
    classes.toggle('dark-theme', this.choiceState() === 'dark');
  }
}

function readChoice(): ThemeChoice {
  const stored = browserStorage.get(STORAGE_KEYS.theme);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}
