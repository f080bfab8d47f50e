import { ExecutionContext, Global, Module } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerModule, ThrottlerModuleOptions, ThrottlerOptions } from '@nestjs/throttler';
import { limitsConfig, LimitsConfig } from '../config/config';
import { IDENTITY_REQUEST_KEY, RequestWithIdentity } from '../identity/identity.types';
import { RATE_LIMIT_KEY } from './limits.metadata';
import { LimitsRepository } from './limits.repository';
import { QuotaService } from './quota.service';
import { RATE_LIMIT_NAMES, RATE_LIMITS, RateLimitName, rateLimitOf } from './rate-limits';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** The counters in the shared store, for the throttler (its own injector) and the quotas alike. */
@Module({
  providers: [LimitsRepository, RedisThrottlerStorage],
  exports: [LimitsRepository, RedisThrottlerStorage],
})
class LimitsStoreModule {}

/** The caller's user id; the client address only if a route forgot the bearer guard. */
function identityTracker(req: Record<string, unknown>): string {
  return (req as RequestWithIdentity)[IDENTITY_REQUEST_KEY]?.user_id ?? `address:${String(req.ip)}`;
}

function throttlerOptions(config: LimitsConfig, reflector: Reflector, storage: RedisThrottlerStorage): ThrottlerModuleOptions {
  const onRoute = (name: RateLimitName) => (context: ExecutionContext) =>
    reflector.get<RateLimitName | undefined>(RATE_LIMIT_KEY, context.getHandler()) !== name;
  const throttlers: ThrottlerOptions[] = RATE_LIMIT_NAMES.filter((name) => rateLimitOf(config, name) > 0).map((name) => ({
    name,
    limit: rateLimitOf(config, name),
    ttl: config.windowSeconds * 1000,
    // Each throttler counts only on the routes that name it.
    skipIf: onRoute(name),
    ...(RATE_LIMITS[name].per === 'identity' ? { getTracker: identityTracker } : {}),
  }));
  return {
    throttlers,
    storage,
    // One counter per limit and caller, whichever route of that limit was called.
    generateKey: (_context, tracker, name) => `${name}:${tracker}`,
  };
}

/**
 * Rate limits (@nestjs/throttler, counted in the shared store) and quotas, applied by route guards
 * through @RateLimit. Global, so every feature module's routes can carry them.
 */
@Global()
@Module({
  imports: [
    LimitsStoreModule,
    ThrottlerModule.forRootAsync({
      imports: [LimitsStoreModule],
      inject: [limitsConfig.KEY, Reflector, RedisThrottlerStorage],
      useFactory: throttlerOptions,
    }),
  ],
  providers: [QuotaService],
  exports: [QuotaService],
})
export class LimitsModule {}
