import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { authConfig, AuthConfig } from '../config/config';
import { hashToken, newToken, newTokenId, TOKEN_PATTERN } from './identity.ids';
import { IdentityRepository, StoredIdentity } from './identity.repository';
import type { Identity } from './identity.types';
import { TokenCache } from './token-cache';
import { TokenOwner, TokenRecord, TokenRepository } from './token.repository';

interface Authenticated {
  owner: TokenOwner;
  identity: StoredIdentity;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Issuing, checking and revoking bearer tokens. Login tokens slide: each use renews them (and a
 * guest's identity), at most once per renewal interval per token and process, so a busy client
 * costs one extra write a minute, not one per request.
 */
@Injectable()
export class TokenService {
  private readonly recent = new TokenCache<Authenticated>();
  /** Tokens this process renewed within the renewal interval. */
  private readonly renewed: LRUCache<string, true>;
  private readonly tokenTtlMs: number;
  private readonly guestTtlMs: number;

  constructor(
    private readonly tokens: TokenRepository,
    private readonly identities: IdentityRepository,
    @Inject(authConfig.KEY) config: AuthConfig,
  ) {
    this.tokenTtlMs = config.tokenTtlSeconds * 1000;
    this.guestTtlMs = config.guestTtlSeconds * 1000;
    // 1% of the shortest lifetime, at most a minute: renewals never let a token lapse while in use.
    const shortest = Math.min(...[this.tokenTtlMs, this.guestTtlMs].filter((ms) => ms > 0), 6_000_000);
    this.renewed = new LRUCache<string, true>({ max: 10_000, ttl: Math.max(1, shortest / 100), perf: { now: () => Date.now() } });
  }

  /** A new login token for the identity; expires_at is null when tokens never expire. */
  async issueLogin(userId: string, now = Date.now()): Promise<{ token: string; expires_at: number | null }> {
    await this.tokens.prune(userId, now);
    const token = newToken();
    await this.tokens.create(userId, { id: newTokenId(), kind: 'login', hash: hashToken(token), created_at: now, expires_at: null }, this.tokenTtlMs);
    return { token, expires_at: this.tokenTtlMs > 0 ? now + this.tokenTtlMs : null };
  }

  /** A personal API token: no expiry unless given a lifetime in days. */
  async issueApi(userId: string, name: string, days?: number, now = Date.now()): Promise<{ record: TokenRecord; token: string }> {
    const token = newToken();
    const ttlMs = days ? days * DAY_MS : 0;
    const record: TokenRecord = { id: newTokenId(), kind: 'api', name, hash: hashToken(token), created_at: now, expires_at: ttlMs ? now + ttlMs : null };
    await this.tokens.create(userId, record, ttlMs);
    return { record, token };
  }

  /** The identity a bearer token belongs to, or null. Malformed tokens never reach the store. */
  async authenticate(token: string): Promise<Identity | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const tokenHash = hashToken(token);
    let found = this.recent.get(tokenHash);
    if (!found) {
      const readStartedAt = Date.now();
      found = (await this.load(tokenHash)) ?? undefined;
      if (!found) return null;
      this.recent.set(tokenHash, found, readStartedAt);
    }
    if (!(await this.renewIfDue(tokenHash, found))) {
      this.recent.delete(tokenHash);
      return null;
    }
    const { identity } = found;
    return { user_id: identity.user_id, kind: identity.kind, username: identity.username, token_hash: tokenHash };
  }

  /** Revokes the token the request came with (here at once; elsewhere within the cache's second). */
  async revokePresented(identity: Identity): Promise<void> {
    if (!identity.token_hash) return;
    const owner = await this.tokens.findOwner(identity.token_hash);
    if (owner && owner.user_id === identity.user_id) await this.tokens.revoke(identity.user_id, identity.token_hash, owner.token_id);
    this.forget(identity.token_hash);
  }

  async revokeAll(userId: string): Promise<void> {
    for (const tokenHash of await this.tokens.revokeAll(userId)) this.forget(tokenHash);
  }

  async listApiTokens(userId: string) {
    const all = await this.tokens.list(userId);
    const now = Date.now();
    return all
      .filter((t) => t.kind === 'api' && (t.expires_at === null || t.expires_at > now))
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? -1 : 1));
  }

  /** Revokes one of the identity's API tokens by id; false when it has none with that id. */
  async revokeApiToken(userId: string, tokenId: string): Promise<boolean> {
    const record = await this.tokens.findRecord(userId, tokenId);
    if (!record || record.kind !== 'api') return false;
    await this.tokens.revoke(userId, record.hash, record.id);
    this.forget(record.hash);
    return true;
  }

  /** Drops what this process remembers of a token, so its next use reads the store. */
  forget(tokenHash: string): void {
    this.recent.delete(tokenHash);
    this.renewed.delete(tokenHash);
  }

  private async load(tokenHash: string): Promise<Authenticated | null> {
    const owner = await this.tokens.findOwner(tokenHash);
    if (!owner) return null;
    // The identity may have expired (a guest's inactivity) while the token lived on.
    const identity = await this.identities.find(owner.user_id);
    return identity ? { owner, identity } : null;
  }

  /** False when the token or its identity turned out to have gone. */
  private async renewIfDue(tokenHash: string, found: Authenticated): Promise<boolean> {
    if (this.renewed.has(tokenHash)) return true;
    const now = Date.now();
    if (!found.owner.token_id) {
      const adopted = await this.tokens.adopt(tokenHash, found.owner.user_id, now);
      if (!adopted) return false;
      found.owner = adopted;
    }
    const ttlMs = found.owner.kind === 'login' ? this.tokenTtlMs : 0;
    if (!(await this.tokens.touch(tokenHash, found.owner, ttlMs, now))) return false;
    if (found.identity.kind === 'guest' && this.guestTtlMs > 0) {
      if (!(await this.identities.renewGuest(found.identity.user_id, this.guestTtlMs))) return false;
    }
    this.renewed.set(tokenHash, true);
    return true;
  }
}
