import { BadRequestException } from '@nestjs/common';
import { decodeMessageCursor, decodeSessionCursor, encodeMessageCursor, encodeSessionCursor } from './cursor';
import { defaultDisplayName } from './sessions.service';

describe('cursors', () => {
  const id = 's_AAAAAAAAAAAAAAAAAAAAAA';

  it('round-trip', () => {
    expect(decodeSessionCursor(encodeSessionCursor({ score: 1_700_000_000_123, id }))).toEqual({ score: 1_700_000_000_123, id });
    expect(decodeMessageCursor(encodeMessageCursor(42))).toBe(42);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'a+b/'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['JSON array', Buffer.from('[1]').toString('base64url')],
    ['negative score', Buffer.from(`{"s":-1,"id":"${id}"}`).toString('base64url')],
    ['fractional score', Buffer.from(`{"s":1.5,"id":"${id}"}`).toString('base64url')],
    ['bad id', Buffer.from('{"s":1,"id":"../x"}').toString('base64url')],
    ['extra field', Buffer.from(`{"s":1,"id":"${id}","x":1}`).toString('base64url')],
    ['non-canonical spacing', Buffer.from(`{ "s":1,"id":"${id}"}`).toString('base64url')],
    ['too long', 'A'.repeat(201)],
  ])('session cursor: %s → 400', (_label, cursor) => {
    expect(() => decodeSessionCursor(cursor)).toThrow(BadRequestException);
    expect(() => decodeSessionCursor(cursor)).toThrow(/Invalid cursor/);
  });

  it.each([
    ['zero', Buffer.from('{"i":0}').toString('base64url')],
    ['string index', Buffer.from('{"i":"3"}').toString('base64url')],
    ['session cursor', encodeSessionCursor({ score: 1, id })],
  ])('message cursor: %s → 400', (_label, cursor) => {
    expect(() => decodeMessageCursor(cursor)).toThrow(/Invalid cursor/);
  });
});

describe('defaultDisplayName', () => {
  it('is the UTC day, month and time', () => {
    expect(defaultDisplayName(Date.UTC(2026, 10, 24, 14, 5, 59))).toBe('Chat · 24 Nov 14:05');
    expect(defaultDisplayName(Date.UTC(2026, 0, 3, 9, 0))).toBe('Chat · 3 Jan 09:00');
  });
});
