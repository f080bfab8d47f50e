import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import type { Store } from '../redis/store';

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

  find(userId: string, sourceKey: string): Promise<string | null> {
    return this.redis.hget(this.keys.imports(userId), sourceKey);
  }

  async record(userId: string, sourceKey: string, sessionId: string): Promise<void> {
    await this.redis.hset(this.keys.imports(userId), sourceKey, sessionId);
  }

  async forget(userId: string, sourceKeys: string[]): Promise<void> {
    if (sourceKeys.length > 0) await this.redis.hdel(this.keys.imports(userId), ...sourceKeys);
  }
}
