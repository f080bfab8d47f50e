import { cleanTitle, TITLE_MAX_LENGTH, titleFromMessage, titlePrompt } from './session-title';

describe('session titles', () => {
  it.each([
    ['"Packing for Lisbon."\n', 'Packing for Lisbon'],
    ['Title: **Kubernetes basics**', 'Kubernetes basics'],
    ['\n\n# Café au lait\nmore text', 'Café au lait'],
    ['«Reisetipps»', 'Reisetipps'],
    ['   \n  ', null],
    ['""', null],
  ])('cleanTitle(%j) → %j', (reply, title) => {
    expect(cleanTitle(reply)).toBe(title);
  });

  it('cuts long titles at a word', () => {
    const title = cleanTitle('word '.repeat(40))!;
    expect([...title].length).toBeLessThanOrEqual(TITLE_MAX_LENGTH);
    expect(title.endsWith('…')).toBe(true);
  });

  it('falls back to the first six words of the message, whitespace and control characters collapsed', () => {
    expect(titleFromMessage('  hello\tworld\n')).toBe('hello world');
    expect(titleFromMessage('one two three four five six seven')).toBe('one two three four five six…');
    expect(titleFromMessage(' \n ')).toBeNull();
    expect([...titleFromMessage('x'.repeat(500))!].length).toBeLessThanOrEqual(TITLE_MAX_LENGTH);
  });

  it('sends an excerpt of the exchange, never all of a long message', () => {
    const [system, user] = titlePrompt('q'.repeat(10_000), 'a'.repeat(10_000));
    expect(system.role).toBe('system');
    expect(user.content.length).toBeLessThan(2100);
  });
});
