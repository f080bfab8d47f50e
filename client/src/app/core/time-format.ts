// One clock everywhere, the browser's own (12 or 24 hours, its separators): `timeStyle: 'short'`.
// Formatters are costly to create (a long history formats hundreds of times): make each once.
const clockFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function span(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${Math.max(1, seconds)} s`;
  const minutes = Math.round(ms / MINUTE);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.round(ms / HOUR);
  if (hours < 24) return `${hours} h`;
  return `${Math.round(ms / DAY)} d`;
}

/** "just now", "5 min ago", "3 h ago", "2 d ago". */
export function relativeTime(iso: string | null | undefined, now: number): string {
  if (!iso) return '';
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const diff = now - then;
  if (diff < 45_000) return 'just now';
  return `${span(diff)} ago`;
}

/** Time left before a session expires: "expires in 42 min", "expired", or "never expires". */
export function timeLeft(expiresAt: string | null | undefined, now: number): string {
  if (!expiresAt) return 'never expires';
  const left = Date.parse(expiresAt) - now;
  if (Number.isNaN(left)) return '';
  return left <= 0 ? 'expired' : `expires in ${span(left)}`;
}

/** The exact local date and time, for tooltips. */
export function exactTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : dateTimeFormat.format(date);
}

/** The clock time alone ("14:05" or "2:05 PM", as the browser's locale writes it). */
export function clockTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : clockFormat.format(date);
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

export type DayGroup = 'Today' | 'Yesterday' | 'Previous 7 days' | 'Older';

/** Which part of the session list a time falls in, by local calendar day. */
export function dayGroup(iso: string | null | undefined, now: number): DayGroup {
  const then = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(then)) return 'Older';
  const today = new Date(now);
  today.setHours(0, 0, 0, 0);
  const date = new Date(then);
  if (sameDay(date, today) || then >= today.getTime()) return 'Today';
  const yesterday = new Date(today);
  yesterday.setDate(today.getDate() - 1);
  if (sameDay(date, yesterday)) return 'Yesterday';
  const weekAgo = new Date(today);
  weekAgo.setDate(today.getDate() - 7);
  return then >= weekAgo.getTime() ? 'Previous 7 days' : 'Older';
}

/** Clock time of a message ("14:05"), with the date when it is not today (same clock). */
export function messageTime(iso: string, now: number): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  return sameDay(date, new Date(now)) ? clockFormat.format(date) : dateTimeFormat.format(date);
}
