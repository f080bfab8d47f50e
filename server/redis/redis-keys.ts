import { Inject, Injectable } from '@nestjs/common';
import { redisConfig, RedisConfig } from '../config/config';

/**
 * Key naming, in one place. All keys of one identity share the hash tag `{u:<userId>}` so a MULTI
 * covering a session, its messages and the identity's index stays on one Redis Cluster slot.
 */
@Injectable()
export class RedisKeys {
  readonly prefix: string;

  constructor(@Inject(redisConfig.KEY) config: Pick<RedisConfig, 'keyPrefix' | 'url'>) {
    this.prefix = config.keyPrefix;
  }

  private user(userId: string): string {
    return `${this.prefix}:{u:${userId}}`;
  }

  identity(userId: string): string {
    return `${this.user(userId)}:identity`;
  }

  sessionIndex(userId: string): string {
    return `${this.user(userId)}:sessions`;
  }

  session(userId: string, sessionId: string): string {
    return `${this.user(userId)}:s:${sessionId}`;
  }

  /** HASH display name → id of the newest session with that name (resolves the v0 API's name lookups). */
  sessionNames(userId: string): string {
    return `${this.user(userId)}:session-names`;
  }

  messages(userId: string, sessionId: string): string {
    return `${this.user(userId)}:s:${sessionId}:msgs`;
  }

  /** Held while a generation runs in the session (SET NX PX), so only one runs, across instances. */
  generationLock(userId: string, sessionId: string): string {
    return `${this.user(userId)}:s:${sessionId}:gen`;
  }

  token(tokenHash: string): string {
    return `${this.prefix}:token:${tokenHash}`;
  }

  /** Pub/sub channel on which "stop this generation" is announced to whichever instance runs it. */
  stopChannel(): string {
    return `${this.prefix}:chat:stop`;
  }
}
