import { Injectable, UnauthorizedException } from '@nestjs/common';
import { INVALID_TOKEN_MESSAGE } from './current-user.decorator';
import { hashToken, newToken, newUserId, TOKEN_PATTERN } from './identity.ids';
import { IdentityRepository, StoredIdentity } from './identity.repository';
import { Identity } from './identity.types';
import { TokenCache } from './token-cache';

@Injectable()
export class IdentityService {
  private readonly recentTokens = new TokenCache();

  constructor(private readonly identities: IdentityRepository) {}

  /** A new anonymous identity and the only copy of its token (the store keeps just its hash). */
  async createGuest(): Promise<{ identity: StoredIdentity; token: string }> {
    const identity: StoredIdentity = { user_id: newUserId(), created_at: Date.now() };
    const token = newToken();
    await this.identities.create(identity, hashToken(token));
    return { identity, token };
  }

  /** The identity a bearer token belongs to, or null. Malformed tokens never reach the store. */
  async authenticate(token: string): Promise<Identity | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const tokenHash = hashToken(token);
    const cached = this.recentTokens.get(tokenHash);
    if (cached !== undefined) return { user_id: cached };
    const userId = await this.identities.findUserIdByTokenHash(tokenHash);
    if (userId === null) return null;
    this.recentTokens.set(tokenHash, userId);
    return { user_id: userId };
  }

  async describe(identity: Identity): Promise<StoredIdentity> {
    const stored = await this.identities.find(identity.user_id);
    if (!stored) throw new UnauthorizedException(INVALID_TOKEN_MESSAGE);
    return stored;
  }
}
