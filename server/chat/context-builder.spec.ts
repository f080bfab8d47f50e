import { countTokens, TOKENS_PER_MESSAGE } from '../llm/tokenizer';
import type { StoredMessage } from '../sessions/session.model';
import { belongsInContext, buildContext, systemPromptTokens, TokenCountCache } from './context-builder';

let seq = 0;
const msg = (role: 'user' | 'assistant', content: string, extra: Partial<StoredMessage> = {}): StoredMessage => ({
  id: `m${++seq}`,
  role,
  content,
  created_at: seq,
  ...extra,
});

describe('context builder', () => {
  const cache = new TokenCountCache();
  const tokensOf = (m: StoredMessage) => cache.of(m);

  it('counts with a real tokenizer, not characters', () => {
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('')).toBe(0);
    // Special-token markers in user text are plain text, never an error or a control token.
    expect(countTokens('<|endoftext|>')).toBeGreaterThan(1);
  });

  it('sends the system prompt first and everything when it fits', () => {
    const history = [msg('user', 'Hi'), msg('assistant', 'Hello!'), msg('user', 'How are you?')];
    const built = buildContext('Be kind.', history, 8000, tokensOf);
    expect(built.messages).toEqual([
      { role: 'system', content: 'Be kind.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: 'How are you?' },
    ]);
    expect(built.included).toBe(3);
    expect(built.trimmed).toBe(false);
    const expected = systemPromptTokens('Be kind.') + history.reduce((n, m) => n + countTokens(m.content) + TOKENS_PER_MESSAGE, 0);
    expect(built.tokens).toBe(expected);
  });

  it('keeps the newest whole messages within the budget and never cuts one', () => {
    const long = 'word '.repeat(100); // ~100 tokens each
    const history = Array.from({ length: 20 }, (_, i) => msg(i % 2 ? 'assistant' : 'user', `${i} ${long}`));
    const budget = 600;
    const built = buildContext('sys', history, budget, tokensOf);
    expect(built.trimmed).toBe(true);
    expect(built.tokens).toBeLessThanOrEqual(budget);
    expect(built.included).toBeGreaterThan(2);
    expect(built.included).toBeLessThan(20);
    const sent = built.messages.slice(1).map((m) => m.content);
    expect(sent).toEqual(history.slice(20 - built.included).map((m) => m.content));
  });

  it('skips failed and empty assistant turns but keeps interrupted partial answers', () => {
    const history = [
      msg('user', 'first'),
      msg('assistant', 'partial', { status: 'interrupted' }),
      msg('user', 'second'),
      msg('assistant', 'half', { status: 'failed' }),
      msg('assistant', '   ', { status: 'complete' }),
      msg('user', 'third'),
    ];
    const built = buildContext('sys', history, 8000, tokensOf);
    expect(built.messages.map((m) => m.content)).toEqual(['sys', 'first', 'partial', 'second', 'third']);
    expect(belongsInContext(history[3])).toBe(false);
  });

  it('always sends the newest message, even alone over the budget', () => {
    const built = buildContext('sys', [msg('user', 'old'), msg('user', 'x '.repeat(400))], 256, tokensOf);
    expect(built.included).toBe(1);
    expect(built.trimmed).toBe(true);
  });

  it('caches counts per message id and forgets the least recently used first', () => {
    const small = new TokenCountCache(2);
    const a = msg('user', 'a');
    const b = msg('user', 'b');
    expect(small.of(a)).toBe(1 + TOKENS_PER_MESSAGE);
    small.remember(a.id, 100); // a known count wins over recounting
    small.remember(b.id, 200);
    expect(small.of(a)).toBe(100); // a is now the most recently used
    small.of(msg('user', 'c')); // full: b goes
    expect(small.of(a)).toBe(100);
    expect(small.of(b)).toBe(1 + TOKENS_PER_MESSAGE);
  });
});
