import { isStoreUnavailable } from './all-exceptions.filter';

/** Named like ioredis' reply errors: the name is part of what is matched. */
function replyError(message: string): Error {
  const error = new Error(message);
  error.name = 'ReplyError';
  return error;
}

describe('isStoreUnavailable', () => {
  it('counts a redirection the client did not follow (a slot changing owner) as the store being unavailable', () => {
    expect(isStoreUnavailable(replyError('MOVED 10426 127.0.0.1:42053'))).toBe(true);
    expect(isStoreUnavailable(replyError('ASK 3999 10.0.0.7:6380'))).toBe(true);
  });

  it('looks into the queued commands of a discarded transaction', () => {
    const aborted = replyError('EXECABORT Transaction discarded because of previous errors.');
    (aborted as Error & { previousErrors: Error[] }).previousErrors = [replyError('MOVED 866 127.0.0.1:7001')];
    expect(isStoreUnavailable(aborted)).toBe(true);
  });

  it('counts connection loss and failover replies', () => {
    for (const message of ['Connection is closed.', 'CLUSTERDOWN The cluster is down', 'READONLY You can\'t write against a read only replica.', 'LOADING Redis is loading the dataset in memory']) {
      expect(isStoreUnavailable(replyError(message))).toBe(true);
    }
  });

  it('leaves other errors alone, including ones that merely mention the words', () => {
    expect(isStoreUnavailable(replyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isStoreUnavailable(new TypeError('Cannot read properties of undefined (reading "moved")'))).toBe(false);
    expect(isStoreUnavailable(new Error('ask the model again'))).toBe(false);
    expect(isStoreUnavailable('MOVED 1 a:1')).toBe(false);
  });
});
