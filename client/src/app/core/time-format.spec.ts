import { relativeTime, timeLeft } from './time-format';

describe('time formatting', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  const ago = (ms: number) => new Date(now - ms).toISOString();
  const ahead = (ms: number) => new Date(now + ms).toISOString();

  it('says how long ago', () => {
    expect(relativeTime(ago(10_000), now)).toBe('just now');
    expect(relativeTime(ago(5 * 60_000), now)).toBe('5 min ago');
    expect(relativeTime(ago(3 * 3600_000), now)).toBe('3 h ago');
    expect(relativeTime(ago(2 * 86400_000), now)).toBe('2 d ago');
  });

  it('says how long a session has left', () => {
    expect(timeLeft(ahead(3600_000 - 50), now)).toBe('expires in 1 h');
    expect(timeLeft(ahead(42 * 60_000), now)).toBe('expires in 42 min');
    expect(timeLeft(ago(1000), now)).toBe('expired');
    expect(timeLeft(null, now)).toBe('never expires');
  });
});
