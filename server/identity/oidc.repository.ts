import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { REDIS_CLIENT } from '../redis/redis.constants';
import type { Store } from '../redis/store';
import { RedisKeys } from '../redis/redis-keys';

export interface PendingSignIn {
  verifier: string;
  nonce: string;
  redirect_uri: string;
}

/** Pending OpenID Connect sign-ins and the provider subject → identity mapping. */
@Injectable()
export class OidcRepository {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  async savePending(state: string, pending: PendingSignIn, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.oidcState(state), JSON.stringify(pending), 'PX', ttlMs);
  }

  /** The pending sign-in of a state, at most once (a replayed callback finds nothing). */
  async takePending(state: string): Promise<PendingSignIn | null> {
    const key = this.keys.oidcState(state);
    const json = await this.redis.get(key);
    if (json === null || (await this.redis.del(key)) !== 1) return null;
    return JSON.parse(json) as PendingSignIn;
  }

  /** The identity of an issuer's subject: the one stored, or `fresh` if this is its first sign-in. */
  async identityOf(issuer: string, subject: string, fresh: string): Promise<{ userId: string; created: boolean }> {
    const key = this.keys.oidcSubject(createHash('sha256').update(`${issuer}\n${subject}`).digest('hex'));
    if ((await this.redis.set(key, fresh, 'NX')) === 'OK') return { userId: fresh, created: true };
    return { userId: (await this.redis.get(key))!, created: false };
  }
}
