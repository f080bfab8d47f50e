import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import type { Store } from '../redis/store';
import { RedisKeys } from '../redis/redis-keys';

export interface StoredIdentity {
  user_id: string;
  /** ms since epoch */
  created_at: number;
}

/**
 * Identities and their tokens. Neither expires: a guest identity is a few bytes, and expiring it
 * would silently orphan the person's pinned sessions. The token key lives outside the identity's
 * hash tag (it is looked up before the identity is known), so the two writes are separate; the
 * identity is written first, so a token never points at nothing.
 */
@Injectable()
export class IdentityRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  async create(identity: StoredIdentity, tokenHash: string): Promise<void> {
    await this.redis.hset(this.keys.identity(identity.user_id), { created_at: String(identity.created_at) });
    const stored = await this.redis.set(this.keys.token(tokenHash), identity.user_id, 'NX');
    // A 256-bit collision does not happen; refuse rather than hand one person another's identity.
    if (stored !== 'OK') throw new Error('Token collision while creating an identity');
  }

  findUserIdByTokenHash(tokenHash: string): Promise<string | null> {
    return this.redis.get(this.keys.token(tokenHash));
  }

  async find(userId: string): Promise<StoredIdentity | null> {
    const createdAt = await this.redis.hget(this.keys.identity(userId), 'created_at');
    return createdAt === null ? null : { user_id: userId, created_at: Number(createdAt) };
  }
}
