import { ConflictException, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { authConfig, AuthConfig } from '../config/config';
import { accountsOffMessage, invalidTokenMessage, REGISTRATION_CLOSED, WRONG_CREDENTIALS } from './auth-messages';
import { newUserId } from './identity.ids';
import { IdentityRepository } from './identity.repository';
import type { Identity } from './identity.types';
import { hashPassword, verifyPassword } from './passwords';
import { TokenService } from './token.service';

export interface SignedIn {
  token: string;
  user_id: string;
  username: string;
  expires_at: number | null;
}

/** Accounts: user name + argon2id password hash on the identity record, names unique store-wide. */
@Injectable()
export class AccountService {
  constructor(
    private readonly identities: IdentityRepository,
    private readonly tokens: TokenService,
    @Inject(authConfig.KEY) private readonly config: AuthConfig,
  ) {}

  /**
   * Registers through the API. With a guest's bearer token the guest identity itself becomes the
   * account, so its sessions stay; otherwise a new identity is made.
   */
  async register(username: string, password: string, bearer: string | undefined): Promise<SignedIn> {
    this.requireAccounts();
    if (this.config.registration === 'closed') throw new ForbiddenException(REGISTRATION_CLOSED);
    const guest = bearer === undefined ? undefined : await this.guestToUpgrade(bearer);
    const userId = await this.addUser(username, password, guest?.user_id);
    // This process's cached view of the guest token says "guest"; read it afresh next time.
    if (guest?.token_hash) this.tokens.forget(guest.token_hash);
    return { user_id: userId, username, ...(await this.tokens.issueLogin(userId)) };
  }

  async login(username: string, password: string): Promise<SignedIn> {
    this.requireAccounts();
    const userId = await this.identities.userIdByUsername(username);
    const stored = userId === null ? null : await this.identities.passwordHash(userId);
    if (!(await verifyPassword(stored, password))) throw new UnauthorizedException(WRONG_CREDENTIALS);
    return { user_id: userId!, username, ...(await this.tokens.issueLogin(userId!)) };
  }

  /**
   * Adds an account (the API's register, and the users command, which works in any mode and
   * whatever REGISTRATION says). Returns its identity id; 409 when the name is taken.
   */
  addUser(username: string, password: string, upgradeUserId?: string): Promise<string> {
    return addAccount(this.identities, username, password, upgradeUserId);
  }

  private requireAccounts(): void {
    if (this.config.mode !== 'accounts') throw new ForbiddenException(accountsOffMessage(this.config.mode));
  }

  private async guestToUpgrade(bearer: string): Promise<Identity> {
    const identity = await this.tokens.authenticate(bearer);
    if (!identity) throw new UnauthorizedException(invalidTokenMessage(this.config.mode));
    if (identity.kind !== 'guest') {
      throw new ConflictException(`You are signed in as "${identity.username ?? identity.user_id}" already: sign out to register another account`);
    }
    return identity;
  }
}

/**
 * Adds an account (the API's register, and the users command, which works in any mode and
 * whatever REGISTRATION says). Returns its identity id; 409 when the name is taken.
 */
export async function addAccount(identities: IdentityRepository, username: string, password: string, upgradeUserId?: string): Promise<string> {
  const passwordHash = await hashPassword(password);
  const userId = upgradeUserId ?? newUserId();
  // The name is reserved first, so two registrations of one name cannot both succeed.
  if (!(await identities.claimUsername(username, userId))) {
    throw new ConflictException(`The username "${username}" is taken: choose another`);
  }
  if (upgradeUserId) await identities.makeAccount(userId, username, passwordHash);
  else await identities.create({ user_id: userId, created_at: Date.now(), kind: 'account', username }, { password_hash: passwordHash });
  return userId;
}
