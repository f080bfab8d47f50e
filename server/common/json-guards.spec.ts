import { jsonNestedDeeperThan, prototypeKeyPath } from './json-guards';

describe('jsonNestedDeeperThan', () => {
  const deeper = (text: string, limit: number) => jsonNestedDeeperThan(Buffer.from(text), limit);

  it('counts objects and arrays together, and only their nesting, not their number', () => {
    expect(deeper('{"a":[{"b":1}]}', 3)).toBe(false);
    expect(deeper('{"a":[{"b":1}]}', 2)).toBe(true);
    expect(deeper('[[],[],[],{},{}]', 2)).toBe(false);
    expect(deeper('1', 0)).toBe(false);
  });

  it('ignores brackets inside strings, escaped quotes and multi-byte characters included', () => {
    expect(deeper('{"a":"[[[{{{"}', 1)).toBe(false);
    expect(deeper('{"a":"\\"[[[\\\\","b":"€[😀{"}', 1)).toBe(false);
    expect(deeper('{"a\\"":[[1]]}', 2)).toBe(true);
  });
});

describe('prototypeKeyPath', () => {
  it('finds __proto__, constructor and prototype at any depth, with the path to them', () => {
    expect(prototypeKeyPath(JSON.parse('{"__proto__":{"x":1}}'))).toBe('__proto__');
    expect(prototypeKeyPath({ metadata: { topic: 't', constructor: 1 } })).toBe('metadata.constructor');
    expect(prototypeKeyPath({ a: [1, { b: [{ prototype: 0 }] }] })).toBe('a[1].b[0].prototype');
    expect(prototypeKeyPath([{ constructor: 1 }])).toBe('[0].constructor');
  });

  it('passes ordinary keys, values that look like the words, and non-objects', () => {
    expect(prototypeKeyPath({ my_constructor: '__proto__', proto: ['prototype'], nested: { a: null } })).toBeNull();
    expect(prototypeKeyPath('constructor')).toBeNull();
    expect(prototypeKeyPath(null)).toBeNull();
  });
});
