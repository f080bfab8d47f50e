import { joinJson } from './json-text';

describe('joinJson', () => {
  it('joins JSON values between a prefix and a suffix, comma-separated', () => {
    const items = ['{"a":"é"}', '{"b":2}'].map((t) => Buffer.from(t));
    expect(JSON.parse(joinJson('{"x":[', items, '],"n":2}').toString())).toEqual({ x: [{ a: 'é' }, { b: 2 }], n: 2 });
    expect(joinJson('[', [], ']').toString()).toBe('[]');
  });
});
