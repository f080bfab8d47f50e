import { SseParser } from './sse';

/** Feeds every chunk in turn and returns all events completed along the way. */
function parse(...chunks: string[]) {
  const parser = new SseParser();
  return chunks.flatMap((chunk) => parser.feed(chunk));
}

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

  it('takes a CRLF split across two chunks as one line end', () => {
    // Read as two line ends, "\r" then "\n" would be a blank line ending the event after "one".
    const parser = new SseParser();
    expect(parser.feed('data: one\r')).toEqual([]);
    expect(parser.feed('\ndata: two\r\n\r')).toEqual([]);
    expect(parser.feed('\ndata: three\r\n\r\n')).toEqual([
      { event: 'message', data: 'one\ntwo' },
      { event: 'message', data: 'three' },
    ]);
  });

  it('accepts CR, LF and CRLF line ends alike', () => {
    expect(parse('data: a\rdata: b\r\r', 'data: c\ndata: d\n\n', 'data: e\r\ndata: f\r\n\r\n')).toEqual([
      { event: 'message', data: 'a\nb' },
      { event: 'message', data: 'c\nd' },
      { event: 'message', data: 'e\nf' },
    ]);
  });

  it('keeps empty data lines and a leading space beyond the first', () => {
    expect(parse('data: first\ndata:\ndata:  indented\n\n')).toEqual([{ event: 'message', data: 'first\n\n indented' }]);
  });

  it('ignores comments and keep-alives, also inside an event', () => {
    expect(parse(': ping\n\n', 'event: delta\n: note\ndata: x\n\n')).toEqual([{ event: 'delta', data: 'x' }]);
  });

  it('reports the id of an event that has one', () => {
    expect(parse('id: 7\nevent: delta\ndata: x\n\n', 'event: delta\ndata: y\n\n')).toEqual([
      { event: 'delta', data: 'x', id: '7' },
      expect.objectContaining({ event: 'delta', data: 'y' }),
    ]);
  });

  it('drops an event the stream ended before completing', () => {
    expect(parse('data: whole\n\n', 'data: cut off')).toEqual([{ event: 'message', data: 'whole' }]);
  });
});
