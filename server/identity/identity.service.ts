import { BadRequestException, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { authConfig, AuthConfig } from '../config/config';
import { BAD_PROXY_USER, guestsOffMessage, invalidTokenMessage } from './auth-messages';
import { newUserId } from './identity.ids';
import { IdentityRepository, StoredIdentity } from './identity.repository';
import { Identity } from './identity.types';
import { TokenCache } from './token-cache';
import { TokenService } from './token.service';

const PROXY_USER = /^[^\p{Cc}\u2028\u2029]{1,256}$/u;

@Injectable()
export class IdentityService {
  /** Proxied user name → identity; the mapping never changes, the cache only saves reads. */
  private readonly proxied = new TokenCache<Identity>();

  constructor(
    private readonly identities: IdentityRepository,
    private readonly tokens: TokenService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  /** A new anonymous identity and the only copy of its token (the store keeps just its hash). */
  async createGuest(): Promise<{ identity: StoredIdentity; token: string; expires_at: number | null }> {
    if (!this.config.allowGuests) throw new ForbiddenException(guestsOffMessage(this.config.mode));
    const identity: StoredIdentity = { user_id: newUserId(), created_at: Date.now(), kind: 'guest' };
    const ttlMs = this.config.guestTtlSeconds * 1000;
    await this.identities.create(identity, {}, ttlMs);
    const issued = await this.tokens.issueLogin(identity.user_id, identity.created_at);
    // The token list exists only now; it gets the same inactivity expiry as the record.
    if (ttlMs > 0) await this.identities.expireWithInactivity(identity.user_id, ttlMs);
    return { identity, ...issued };
  }

  authenticate(token: string): Promise<Identity | null> {
    return this.tokens.authenticate(token);
  }

  /** The identity a trusted proxy named: created on first sight, the same one ever after. */
  async proxyUser(header: string): Promise<Identity> {
    const name = header.trim().toLowerCase();
    if (!PROXY_USER.test(name)) throw new BadRequestException(BAD_PROXY_USER);
    const cached = this.proxied.get(name);
    if (cached) return cached;
    const readStartedAt = Date.now();
    let userId = await this.identities.userIdByUsername(name);
    if (userId === null) {
      const fresh = newUserId();
      userId = (await this.identities.claimUsername(name, fresh)) ? fresh : await this.identities.userIdByUsername(name);
    }
    let stored = await this.identities.find(userId!);
    if (!stored) {
      stored = { user_id: userId!, created_at: Date.now(), kind: 'proxy', username: name };
      await this.identities.create(stored);
    }
    const identity: Identity = { user_id: stored.user_id, kind: stored.kind, username: stored.username };
    this.proxied.set(name, identity, readStartedAt);
    return identity;
  }

  async describe(identity: Identity): Promise<StoredIdentity> {
    const stored = await this.identities.find(identity.user_id);
    if (!stored) throw new UnauthorizedException(invalidTokenMessage(this.config.mode));
    return stored;
  }
}
