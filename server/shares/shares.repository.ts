import { Inject, Injectable } from '@nestjs/common';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import type { Store } from '../redis/store';

/** What the owner's list shows of a link. */
export interface StoredShareSummary {
  share_id: string;
  session_id: string;
  title: string;
  /** ms since epoch */
  created_at: number;
  /** ms since epoch; null: never expires */
  expires_at: number | null;
  message_count: number;
}

export interface SharedMessage {
  role: 'user' | 'assistant';
  content: string;
  /** ms since epoch */
  created_at: number;
  model?: string;
}

/** The snapshot a link shows: no owner, no session id. */
export interface StoredShareSnapshot {
  share_id: string;
  title: string;
  persona: string;
  persona_name: string | null;
  created_at: number;
  expires_at: number | null;
  messages: SharedMessage[];
}

/**
 * Share links: the snapshot under a global key named by the unguessable id (expiring with the
 * link), and a per-identity HASH of the owner's links. Revoking removes the owner's entry first, so
 * another identity can never revoke it, then the snapshot.
 */
@Injectable()
export class SharesRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  async create(userId: string, summary: StoredShareSummary, snapshot: StoredShareSnapshot): Promise<void> {
    const key = this.keys.share(summary.share_id);
    const text = JSON.stringify(snapshot);
    if (summary.expires_at === null) await this.redis.set(key, text);
    else await this.redis.set(key, text, 'PX', Math.max(1, summary.expires_at - Date.now()));
    await this.redis.hset(this.keys.shares(userId), summary.share_id, JSON.stringify(summary));
  }

  /** The snapshot, or null once revoked or expired. */
  async find(shareId: string, now = Date.now()): Promise<StoredShareSnapshot | null> {
    const text = await this.redis.get(this.keys.share(shareId));
    if (text === null) return null;
    const snapshot = JSON.parse(text) as StoredShareSnapshot;
    return snapshot.expires_at !== null && snapshot.expires_at <= now ? null : snapshot;
  }

  /** The owner's live links, newest first; expired ones are dropped from the list as they are met. */
  async list(userId: string, now = Date.now()): Promise<StoredShareSummary[]> {
    const all = Object.values(await this.redis.hgetall(this.keys.shares(userId))).map((t) => JSON.parse(t) as StoredShareSummary);
    const expired = all.filter((s) => s.expires_at !== null && s.expires_at <= now).map((s) => s.share_id);
    if (expired.length > 0) await this.redis.hdel(this.keys.shares(userId), ...expired);
    return all.filter((s) => !expired.includes(s.share_id)).sort((a, b) => b.created_at - a.created_at);
  }

  /** false when the caller has no such (live) link. */
  async revoke(userId: string, shareId: string): Promise<boolean> {
    // Only the owner's list holds the id: anyone else removes nothing and touches no snapshot.
    if ((await this.redis.hdel(this.keys.shares(userId), shareId)) === 0) return false;
    await this.redis.del(this.keys.share(shareId));
    return true;
  }
}
