import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/**
 * Server-sent events from a byte stream, per the HTML spec's parsing rules: lines end in LF, CR or
 * CRLF (also when split across reads, as are multi-byte characters); `data:` lines accumulate; a
 * blank line dispatches; `:` lines are comments; an event cut off at the end is dropped.
 */
export class SseParser {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';
  private event: string | null = null;
  private data: string[] = [];
  /** The previous read ended with CR: an LF starting the next read belongs to it. */
  private afterCr = false;

  constructor(private readonly dispatch: (event: string | null, data: string) => void) {}

  push(bytes: Buffer): void {
    let text = this.decoder.write(bytes);
    if (this.afterCr && text.startsWith('\n')) text = text.slice(1);
    this.afterCr = false;
    let start = 0;
    const buffered = this.pending;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      const line = (start === 0 ? buffered : '') + text.slice(start, i);
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else this.afterCr = true;
      }
      start = i + 1;
      this.line(line);
    }
    this.pending = start === 0 ? buffered + text : text.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0 || this.event !== null) this.dispatch(this.event, this.data.join('\n'));
      this.event = null;
      this.data = [];
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
  }
}

/**
 * Reads `body` to its end, handing each event to `onEvent` as it arrives (synchronously, in the
 * read's own callback: no promise or iterator per chunk). Resolves at the end of the body; rejects
 * with the body's error (a reset connection, an abort) or with what `onEvent` threw, after closing
 * the body, so the upstream request ends too.
 */
export function readEvents(body: Readable, onEvent: (event: string | null, data: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = false;
    const parser = new SseParser(onEvent);
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      body.off('data', onData);
      body.destroy();
      reject(error);
    };
    const onData = (bytes: Buffer) => {
      try {
        parser.push(bytes);
      } catch (error) {
        fail(error);
      }
    };
    body.on('data', onData);
    body.once('error', fail);
    body.once('end', () => {
      if (!failed) resolve();
    });
    // Destroyed without an error (e.g. the connection closed before the end): the body is cut short.
    body.once('close', () => {
      if (!failed && !body.readableEnded) fail(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
  });
}
