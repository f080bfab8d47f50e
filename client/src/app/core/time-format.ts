// Formatters are costly to create (a long history formats hundreds of times): make each once.
const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const exactFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

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
  return Number.isNaN(date.getTime()) ? '' : exactFormat.format(date);
}

/** Clock time of a message ("14:05"), with the date when it is not today. */
export function messageTime(iso: string, now: number): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const time = clockFormat.format(date);
  const today = new Date(now);
  const sameDay = today.getFullYear() === date.getFullYear() && today.getMonth() === date.getMonth() && today.getDate() === date.getDate();
  return sameDay ? time : `${dateFormat.format(date)} ${time}`;
}
