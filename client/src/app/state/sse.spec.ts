import { SseParser } from './sse';

describe('SseParser', () => {
  it('splits named events and joins multi-line data', () => {
    const parser = new SseParser();
    expect(parser.feed('event: delta\ndata: {"text":"Hel"}\n\n')).toEqual([{ event: 'delta', data: '{"text":"Hel"}' }]);
    expect(parser.feed('data: a\ndata: b\n\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('holds partial events until their blank line arrives', () => {
    const parser = new SseParser();
    expect(parser.feed('event: do')).toEqual([]);
    expect(parser.feed('ne\ndata: {"id"')).toEqual([]);
    expect(parser.feed(':"m1"}\r\n\r\n')).toEqual([{ event: 'done', data: '{"id":"m1"}' }]);
  });

  it('ignores comments and keep-alives', () => {
    const parser = new SseParser();
    expect(parser.feed(': ping\n\n')).toEqual([]);
    expect(parser.feed('event: delta\n: note\ndata: x\n\n')).toEqual([{ event: 'delta', data: 'x' }]);
  });
});
