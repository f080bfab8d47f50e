import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import type { Store, StoreTransaction } from '../redis/store';

/**
 * What each identity has imported: source key (format, the conversation's id there, a hash of
 * its content) → the session it became. Importing the same conversation again finds it here.
 */
@Injectable()
export class ImportRecordsRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  /** The sessions these conversations became, where imported before (null otherwise). One round trip. */
  async findMany(userId: string, sourceKeys: string[]): Promise<Array<string | null>> {
    return sourceKeys.length === 0 ? [] : this.redis.hmget(this.keys.imports(userId), ...sourceKeys);
  }

  /** Records what a conversation became, queued in the caller's MULTI: stored with the session or not at all. */
  queueRecord(tx: StoreTransaction, userId: string, sourceKey: string, sessionId: string): void {
    tx.hset(this.keys.imports(userId), sourceKey, sessionId);
  }

  async forget(userId: string, sourceKeys: string[]): Promise<void> {
    if (sourceKeys.length > 0) await this.redis.hdel(this.keys.imports(userId), ...sourceKeys);
  }
}
