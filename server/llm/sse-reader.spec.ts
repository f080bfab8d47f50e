import { PassThrough } from 'node:stream';
import { readEvents, SseParser } from './sse-reader';

function parse(...reads: Array<string | Buffer>): Array<[string | null, string]> {
  const events: Array<[string | null, string]> = [];
  const parser = new SseParser((event, data) => events.push([event, data]));
  for (const r of reads) parser.push(Buffer.isBuffer(r) ? r : Buffer.from(r));
  return events;
}

describe('SseParser', () => {
  it('dispatches data lines on a blank line, with event names, comments skipped', () => {
    expect(parse('data: {"a":1}\n\n: keep-alive\n\nevent: error\ndata: x\n\n')).toEqual([
      [null, '{"a":1}'],
      ['error', 'x'],
    ]);
  });

  it('joins several data lines and takes the value after one optional space', () => {
    expect(parse('data:one\ndata:  two\n\n')).toEqual([[null, 'one\n two']]);
  });

  it('accepts LF, CRLF and CR line ends, also when split between reads', () => {
    expect(parse('data: a\r\n\r\ndata: b\r\rdata: c\r', '\n\r\n')).toEqual([
      [null, 'a'],
      [null, 'b'],
      [null, 'c'],
    ]);
  });

  it('rebuilds lines and multi-byte characters cut between reads', () => {
    const bytes = Buffer.from('data: {"text":"héllo ✓"}\n\n');
    const reads = Array.from(bytes).map((b) => Buffer.from([b])); // one byte per read
    expect(parse(...reads)).toEqual([[null, '{"text":"héllo ✓"}']]);
  });

  it('drops an event cut off at the end (no blank line)', () => {
    expect(parse('data: complete\n\ndata: cut')).toEqual([[null, 'complete']]);
  });
});

describe('readEvents', () => {
  it('resolves at the end of the body after every event', async () => {
    const body = new PassThrough();
    const seen: string[] = [];
    const done = readEvents(body, (_e, data) => seen.push(data));
    body.write('data: 1\n\n');
    body.end('data: 2\n\n');
    await done;
    expect(seen).toEqual(['1', '2']);
  });

  it('rejects with what the handler threw and closes the body', async () => {
    const body = new PassThrough();
    const done = readEvents(body, () => {
      throw new SyntaxError('bad json');
    });
    body.write('data: {\n\n');
    await expect(done).rejects.toThrow('bad json');
    expect(body.destroyed).toBe(true);
  });

  it("rejects with the body's error, and when it closes before its end", async () => {
    const failing = new PassThrough();
    const a = readEvents(failing, () => undefined);
    failing.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    await expect(a).rejects.toMatchObject({ code: 'ECONNRESET' });

    const closed = new PassThrough();
    const b = readEvents(closed, () => undefined);
    closed.destroy();
    await expect(b).rejects.toMatchObject({ message: 'aborted', code: 'ECONNRESET' });
  });
});
