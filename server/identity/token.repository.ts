import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import type { Store } from '../redis/store';
import { RedisKeys } from '../redis/redis-keys';
import { newTokenId } from './identity.ids';

/** login: from guest sign-up, register or login, sliding expiry; api: a personal API token. */
export type TokenKind = 'login' | 'api';

export interface TokenRecord {
  id: string;
  kind: TokenKind;
  /** sha256 of the token: how its global key is found to revoke it. */
  hash: string;
  name?: string;
  created_at: number;
  /** Fixed expiry (API tokens given a lifetime); null for none or sliding. */
  expires_at: number | null;
}

/** What the global token key says about a token. */
export interface TokenOwner {
  user_id: string;
  /** Absent for tokens written before tokens had ids (plain user id as the value). */
  token_id?: string;
  kind: TokenKind;
}

/**
 * Tokens: a global key per token hash (`token:<sha256>`, looked up before the identity is known)
 * holding its owner, plus the identity's own list (`{u:<id>}:tokens`) so it can list and revoke
 * them. The list entry is written first and removed last, so every live token can be found from
 * its identity; list entries of login tokens that expired are pruned when the next one is issued.
 */
@Injectable()
export class TokenRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  /** Stores a new token; ttlMs 0 = no expiry. */
  async create(userId: string, record: TokenRecord, ttlMs: number): Promise<void> {
    await this.redis.hset(this.keys.tokens(userId), record.id, JSON.stringify(record));
    const value = JSON.stringify({ u: userId, t: record.id, k: record.kind });
    const key = this.keys.token(record.hash);
    const stored = ttlMs > 0 ? await this.redis.set(key, value, 'PX', ttlMs, 'NX') : await this.redis.set(key, value, 'NX');
    // A 256-bit collision does not happen; refuse rather than hand one person another's identity.
    if (stored !== 'OK') {
      await this.redis.hdel(this.keys.tokens(userId), record.id);
      throw new Error('Token collision while storing a token');
    }
  }

  async findOwner(tokenHash: string): Promise<TokenOwner | null> {
    const value = await this.redis.get(this.keys.token(tokenHash));
    if (value === null) return null;
    if (!value.startsWith('{')) return { user_id: value, kind: 'login' };
    const parsed = JSON.parse(value) as { u: string; t: string; k: TokenKind };
    return { user_id: parsed.u, token_id: parsed.t, kind: parsed.k };
  }

  /** Gives a token from before token ids an id and a list entry, keeping its expiry. */
  async adopt(tokenHash: string, userId: string, now: number): Promise<TokenOwner | null> {
    const record: TokenRecord = { id: newTokenId(), kind: 'login', hash: tokenHash, created_at: now, expires_at: null };
    await this.redis.hset(this.keys.tokens(userId), record.id, JSON.stringify(record));
    const value = JSON.stringify({ u: userId, t: record.id, k: 'login' });
    if ((await this.redis.set(this.keys.token(tokenHash), value, 'KEEPTTL', 'XX')) !== 'OK') {
      await this.redis.hdel(this.keys.tokens(userId), record.id);
      return null;
    }
    return { user_id: userId, token_id: record.id, kind: 'login' };
  }

  /** Slides a token's expiry (ttlMs > 0) and notes its use; false when the token has gone. */
  async touch(tokenHash: string, owner: TokenOwner, ttlMs: number, now: number): Promise<boolean> {
    const key = this.keys.token(tokenHash);
    const alive = ttlMs > 0 ? await this.redis.pexpire(key, ttlMs) : await this.redis.exists(key);
    if (alive !== 1) return false;
    if (owner.token_id) await this.redis.hset(this.keys.tokenUse(owner.user_id), owner.token_id, String(now));
    return true;
  }

  async list(userId: string): Promise<Array<TokenRecord & { last_used_at: number | null }>> {
    const [records, uses] = await Promise.all([
      this.redis.hgetall(this.keys.tokens(userId)),
      this.redis.hgetall(this.keys.tokenUse(userId)),
    ]);
    return Object.values(records)
      .map((json) => JSON.parse(json) as TokenRecord)
      .map((record) => ({ ...record, last_used_at: uses[record.id] ? Number(uses[record.id]) : null }));
  }

  async findRecord(userId: string, tokenId: string): Promise<TokenRecord | null> {
    const json = await this.redis.hget(this.keys.tokens(userId), tokenId);
    return json === null ? null : (JSON.parse(json) as TokenRecord);
  }

  /** Revokes one token: its global key first, so it stops working before its list entry goes. */
  async revoke(userId: string, tokenHash: string, tokenId: string | undefined): Promise<void> {
    await this.redis.del(this.keys.token(tokenHash));
    if (tokenId) await this.forget(userId, [tokenId]);
  }

  /** Revokes every token of the identity; returns their hashes. */
  async revokeAll(userId: string): Promise<string[]> {
    const records = await this.list(userId);
    const hashes = records.map((r) => r.hash);
    if (hashes.length > 0) await Promise.all(hashes.map((hash) => this.redis.del(this.keys.token(hash))));
    await this.forget(userId, records.map((r) => r.id));
    return hashes;
  }

  /**
   * Drops list entries of tokens that have expired. Entries younger than a minute are left alone:
   * their token key may be being written right now.
   */
  async prune(userId: string, now: number): Promise<void> {
    const records = await this.list(userId);
    const alive = await Promise.all(records.map((r) => this.redis.exists(this.keys.token(r.hash))));
    const gone = records.filter((r, i) => alive[i] === 0 && r.created_at < now - 60_000);
    await this.forget(userId, gone.map((r) => r.id));
  }

  private async forget(userId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.redis.multi().hdel(this.keys.tokens(userId), ...ids).hdel(this.keys.tokenUse(userId), ...ids).exec();
  }
}
