import { clockTime, dayGroup, exactTime, messageTime, relativeTime, timeLeft } from './time-format';

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

describe('one clock format', () => {
  const clock = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

  it('shows a message of today with the browser locale clock, and the same clock with the date otherwise', () => {
    const now = new Date(2026, 10, 24, 15, 30).getTime();
    const today = new Date(2026, 10, 24, 9, 5);
    const earlier = new Date(2026, 10, 20, 9, 5);
    expect(messageTime(today.toISOString(), now)).toBe(clock.format(today));
    expect(clockTime(today.toISOString())).toBe(clock.format(today));
    expect(messageTime(earlier.toISOString(), now)).toContain(clock.format(earlier));
    expect(exactTime(earlier.toISOString())).toBe(messageTime(earlier.toISOString(), now));
  });

  it('groups by local day: today, yesterday, the previous 7 days, older', () => {
    const now = new Date(2026, 10, 24, 0, 30).getTime();
    const at = (day: number, hour = 12) => new Date(2026, 10, day, hour).toISOString();
    expect(dayGroup(at(24, 0), now)).toBe('Today');
    expect(dayGroup(at(23, 23), now)).toBe('Yesterday');
    expect(dayGroup(at(23, 0), now)).toBe('Yesterday');
    expect(dayGroup(at(18), now)).toBe('Previous 7 days');
    expect(dayGroup(at(10), now)).toBe('Older');
    expect(dayGroup(null, now)).toBe('Older');
  });
});
