import { ForbiddenException, HttpException, HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { limitsConfig, LimitsConfig } from '../config/config';
import { countTokens } from '../llm/tokenizer';
import type { StoredMessage } from '../sessions/session.model';
import { isSessionId } from '../sessions/session-id';
import { LimitsRepository } from './limits.repository';

/** The quotas a route can carry (see @RateLimit). */
export type QuotaName = 'sessions_per_identity' | 'messages_per_session' | 'daily_tokens';

/** A send stores two messages: the person's and the answer. */
const MESSAGES_PER_TURN = 2;

/** 429 with Retry-After: the daily token quota resets at midnight UTC. */
export class TokenQuotaException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * Quota checks (run by QuotaGuard before anything is stored) and the model-token count per identity
 * per day (recorded by the chat service after each answer). A quota of 0 is off.
 */
@Injectable()
export class QuotaService {
  private readonly logger = new Logger(QuotaService.name);

  constructor(
    private readonly repository: LimitsRepository,
    @Inject(limitsConfig.KEY) private readonly config: LimitsConfig,
  ) {}

  async check(name: QuotaName, userId: string, sessionId: string | undefined): Promise<void> {
    if (name === 'sessions_per_identity') return this.checkSessions(userId);
    if (name === 'messages_per_session') return this.checkMessages(userId, sessionId);
    return this.checkDailyTokens(userId);
  }

  /**
   * Adds an answer's tokens to the caller's day: prompt + completion as the model reported them,
   * else the context sent plus the answer's text as counted here. Counted only while the quota is on.
   * Never fails the answer: a count that cannot be stored is logged.
   */
  async recordAnswer(userId: string, answer: StoredMessage): Promise<void> {
    if (this.config.dailyTokenQuota === 0) return;
    const tokens = answer.usage
      ? answer.usage.prompt_tokens + answer.usage.completion_tokens
      : (answer.context?.tokens ?? 0) + (answer.content ? countTokens(answer.content) : 0);
    if (tokens <= 0) return;
    try {
      await this.repository.addTokens(userId, utcDay(Date.now()), tokens);
    } catch (error) {
      this.logger.warn(`Could not count ${tokens} model tokens for ${userId}: ${(error as Error).message}`);
    }
  }

  /** How many more sessions the identity may have now (Infinity while the quota is off). */
  async sessionsLeft(userId: string): Promise<number> {
    const max = this.config.maxSessionsPerIdentity;
    if (max === 0) return Infinity;
    return Math.max(0, max - (await this.repository.sessionCount(userId, max)));
  }

  /** Why no further session can be made, for an identity holding `count`. */
  sessionLimitMessage(count: number): string {
    return (
      `Session limit reached: you have ${count} sessions and one identity may keep ${this.config.maxSessionsPerIdentity} (MAX_SESSIONS_PER_IDENTITY). ` +
      'Delete sessions you no longer need, then create a new one.'
    );
  }

  private async checkSessions(userId: string): Promise<void> {
    const max = this.config.maxSessionsPerIdentity;
    if (max === 0) return;
    const count = await this.repository.sessionCount(userId, max);
    if (count < max) return;
    throw new ForbiddenException(this.sessionLimitMessage(count));
  }

  private async checkMessages(userId: string, sessionId: string | undefined): Promise<void> {
    const max = this.config.maxMessagesPerSession;
    if (max === 0 || !isSessionId(sessionId)) return;
    const count = await this.repository.messageCount(userId, sessionId);
    if (count === null || count + MESSAGES_PER_TURN <= max) return;
    throw new ForbiddenException(
      `Message limit reached: this session holds ${count} messages and may hold ${max} (MAX_MESSAGES_PER_SESSION); ` +
        'a message and its answer would not fit. Start a new session or clear this one\'s history.',
    );
  }

  private async checkDailyTokens(userId: string): Promise<void> {
    const quota = this.config.dailyTokenQuota;
    if (quota === 0) return;
    const now = Date.now();
    const used = await this.repository.tokensUsed(userId, utcDay(now));
    if (used < quota) return;
    const retryAfter = Math.max(1, Math.ceil((nextUtcMidnight(now) - now) / 1000));
    throw new TokenQuotaException(
      `Daily model token quota used up: ${used} of ${quota} tokens today (DAILY_TOKEN_QUOTA). ` +
        `It resets at 00:00 UTC: try again in ${durationText(retryAfter)}.`,
      retryAfter,
    );
  }
}

/** "2026-11-29": the day a token count belongs to. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function nextUtcMidnight(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/** "45 s", "12 min", "3 h 5 min". */
export function durationText(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
