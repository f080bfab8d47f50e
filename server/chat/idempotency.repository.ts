import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import type { Store } from '../redis/store';
import type { MessageDto } from '../sessions/dto/message.dto';

/** How long a send's outcome is kept for retries with the same Idempotency-Key. */
const RECORD_TTL_SECONDS = 24 * 3600;

export type IdempotencyRecord =
  /** The first attempt is under way and may or may not have stored its user message yet. */
  | { state: 'pending'; message_id: string }
  /** The user message is stored; its answer is being generated. */
  | { state: 'running'; message_id: string }
  | {
      state: 'done';
      message_id: string;
      user_message: MessageDto;
      assistant_message: MessageDto | null;
      error: { status: number; message: string } | null;
    };

/** Outcomes of sends made with an Idempotency-Key, per session, hashed, kept RECORD_TTL_SECONDS. */
@Injectable()
export class IdempotencyRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  private key(userId: string, sessionId: string, idempotencyKey: string): string {
    return this.keys.idempotency(userId, sessionId, createHash('sha256').update(idempotencyKey).digest('base64url'));
  }

  /** True when this is the first attempt with this key (the record is now `pending`). */
  async claim(userId: string, sessionId: string, idempotencyKey: string, record: IdempotencyRecord): Promise<boolean> {
    const key = this.key(userId, sessionId, idempotencyKey);
    return (await this.redis.set(key, JSON.stringify(record), 'PX', RECORD_TTL_SECONDS * 1000, 'NX')) === 'OK';
  }

  async save(userId: string, sessionId: string, idempotencyKey: string, record: IdempotencyRecord): Promise<void> {
    await this.redis.set(this.key(userId, sessionId, idempotencyKey), JSON.stringify(record), 'PX', RECORD_TTL_SECONDS * 1000);
  }

  async read(userId: string, sessionId: string, idempotencyKey: string): Promise<IdempotencyRecord | null> {
    const raw = await this.redis.get(this.key(userId, sessionId, idempotencyKey));
    return raw === null ? null : (JSON.parse(raw) as IdempotencyRecord);
  }

  async forget(userId: string, sessionId: string, idempotencyKey: string): Promise<void> {
    await this.redis.del(this.key(userId, sessionId, idempotencyKey));
  }
}
