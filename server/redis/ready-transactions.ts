import type Redis from 'ioredis';

/**
 * While ioredis (re)connects it still writes the commands Redis accepts during LOADING (MULTI and
 * EXEC among them) and rejects the rest locally: sent as they were, a transaction reached Redis as
 * an empty MULTI/EXEC whose empty reply read as "no such session". So a transaction is sent only on
 * a ready connection, and a reply that does not cover every command is an error, never data.
 */
export class StoreNotReadyError extends Error {
  constructor(detail: string) {
    super(`Redis connection is not ready (${detail}); the command was not run`);
    this.name = 'StoreNotReadyError';
  }
}

type Multi = ReturnType<Redis['multi']>;

/** Makes every multi() of this client wait for (or refuse without) a ready connection. */
export function sendTransactionsWhenReady(client: Redis): void {
  const multi = client.multi.bind(client) as () => Multi;
  client.multi = (() => guarded(client, multi())) as Redis['multi'];
}

function guarded(client: Redis, tx: Multi): Multi {
  const exec = tx.exec.bind(tx);
  tx.exec = (async () => {
    const queued = tx.length - 1; // MULTI is queued first; EXEC is added by exec()
    await whenReady(client);
    const replies = await exec();
    if (replies && replies.length !== queued) throw new StoreNotReadyError(`${replies.length} of ${queued} replies`);
    return replies;
  }) as Multi['exec'];
  return tx;
}

async function whenReady(client: Redis): Promise<void> {
  if (client.status === 'ready') return;
  // A client that queues offline commands (not the app's) waits for the connection instead.
  if (!client.options.enableOfflineQueue || client.status === 'end') throw new StoreNotReadyError(client.status);
  await new Promise<void>((resolve, reject) => {
    const ready = () => (client.off('end', ended), resolve());
    const ended = () => (client.off('ready', ready), reject(new StoreNotReadyError('end')));
    client.once('ready', ready);
    client.once('end', ended);
  });
}
