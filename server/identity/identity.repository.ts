import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import type { Store } from '../redis/store';
import { RedisKeys } from '../redis/redis-keys';
import { IDENTITY_KINDS, IdentityKind } from './identity.types';

export interface StoredIdentity {
  user_id: string;
  /** ms since epoch */
  created_at: number;
  kind: IdentityKind;
  username?: string;
}

/**
 * Identity records (`{u:<id>}:identity`) and the global user name index. Accounts and proxied
 * users share one name space, so a deployment moving from accounts to a proxy keeps everyone's
 * data under the same names. Guest identities carry a sliding TTL (GUEST_TTL_SECONDS); the others
 * never expire.
 */
@Injectable()
export class IdentityRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  async create(identity: StoredIdentity, extra: Record<string, string> = {}, ttlMs = 0): Promise<void> {
    const key = this.keys.identity(identity.user_id);
    const fields: Record<string, string> = { created_at: String(identity.created_at), kind: identity.kind, ...extra };
    if (identity.username !== undefined) fields.username = identity.username;
    await this.redis.hset(key, fields);
    if (ttlMs > 0) await this.redis.pexpire(key, ttlMs);
  }

  async find(userId: string): Promise<StoredIdentity | null> {
    const fields = await this.redis.hgetall(this.keys.identity(userId));
    if (fields.created_at === undefined) return null;
    // Identities from before accounts existed have no kind: they are guests.
    const kind = (IDENTITY_KINDS as readonly string[]).includes(fields.kind) ? (fields.kind as IdentityKind) : 'guest';
    const identity: StoredIdentity = { user_id: userId, created_at: Number(fields.created_at), kind };
    if (fields.username) identity.username = fields.username;
    return identity;
  }

  passwordHash(userId: string): Promise<string | null> {
    return this.redis.hget(this.keys.identity(userId), 'password_hash');
  }

  /** Turns an identity (a guest's, when upgrading) into an account that never expires. */
  async makeAccount(userId: string, username: string, passwordHash: string): Promise<void> {
    await this.redis.hset(this.keys.identity(userId), { kind: 'account', username, password_hash: passwordHash });
    await this.expireWithInactivity(userId, 0);
  }

  /**
   * Sets (ttlMs > 0) or removes (0) the inactivity expiry of what belongs to the identity alone:
   * its record, its token list and its session indexes. Sessions keep their own TTL.
   */
  async expireWithInactivity(userId: string, ttlMs: number): Promise<boolean> {
    const keys = [
      this.keys.identity(userId),
      this.keys.tokens(userId),
      this.keys.tokenUse(userId),
      this.keys.sessionIndex(userId),
      this.keys.pinnedSessionIndex(userId),
      this.keys.archivedSessionIndex(userId),
    ];
    const tx = this.redis.multi();
    for (const key of keys) {
      if (ttlMs > 0) tx.pexpire(key, ttlMs);
      else tx.persist(key);
    }
    const replies = (await tx.exec()) ?? [];
    // The record's own reply: 0 = it has gone (with pexpire) — the identity expired meanwhile.
    return ttlMs <= 0 || replies[0]?.[1] === 1;
  }

  /** Slides a guest's inactivity expiry; false when the identity has gone. Others are left alone. */
  async renewGuest(userId: string, ttlMs: number): Promise<boolean> {
    const current = await this.find(userId);
    if (!current) return false;
    // Read again rather than trusting a cached kind: the guest may have just registered.
    return current.kind !== 'guest' || this.expireWithInactivity(userId, ttlMs);
  }

  /** Reserves a user name for an identity; false when someone has it already. */
  async claimUsername(name: string, userId: string): Promise<boolean> {
    return (await this.redis.set(this.keys.username(name), userId, 'NX')) === 'OK';
  }

  userIdByUsername(name: string): Promise<string | null> {
    return this.redis.get(this.keys.username(name));
  }
}
