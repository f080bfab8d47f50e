import { parseEnv } from '../../server/config/env';
/**
 * The two apps bench:auth compares, one per process (BENCH_AUTH_MODE):
 * - `limited`: the product's app (every feature module, the global bearer guard, the throttler in
 *   Redis) plus GET /bench/sessions = GET /api/sessions's handler with a rate limit on it (and
 *   GET /bench/sessions-auth-only, the same without the rate limit);
 * - `bare`: the same app without the identity module (so without the global bearer guard) plus a
 *   bench-only module with the same handler and no rate limit; the caller's id comes in a header.
 * Both have the same modules otherwise (routes, config, Redis, logging, validation, error filter),
 * so the difference is the auth and rate-limit checks.
 */
import 'reflect-metadata';
import { Controller, Get, Headers, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp, configureApp } from '../../server/app.factory';
import { AppModule } from '../../server/app.module';
import { FEATURE_MODULES } from '../../server/features';
import { CurrentUser } from '../../server/identity/current-user.decorator';
import { IdentityModule } from '../../server/identity/identity.module';
import type { Identity } from '../../server/identity/identity.types';
import { RateLimit } from '../../server/limits/limits.decorators';
import { SessionListDto, SessionListQueryDto } from '../../server/sessions/dto/session.dto';
import { SessionsModule } from '../../server/sessions/sessions.module';
import { SessionsService } from '../../server/sessions/sessions.service';

@Controller('bench')
class LimitedSessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get('sessions')
  @RateLimit('sessions')
  listLimited(@CurrentUser() me: Identity, @Query() query: SessionListQueryDto): Promise<SessionListDto> {
    return this.sessions.listSessions(me.user_id, query);
  }

  /** The same behind the bearer guard only, to tell the two costs apart. */
  @Get('sessions-auth-only')
  listAuthOnly(@CurrentUser() me: Identity, @Query() query: SessionListQueryDto): Promise<SessionListDto> {
    return this.sessions.listSessions(me.user_id, query);
  }
}

@Controller('bench')
class BareSessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get('sessions')
  listBare(@Headers('x-bench-user') userId: string, @Query() query: SessionListQueryDto): Promise<SessionListDto> {
    return this.sessions.listSessions(userId, query);
  }
}

@Module({ imports: [SessionsModule], controllers: [LimitedSessionsController] })
class LimitedBenchModule {}

@Module({ imports: [SessionsModule], controllers: [BareSessionsController] })
class BareBenchModule {}

async function start(): Promise<NestExpressApplication> {
  if (process.env.BENCH_AUTH_MODE === 'limited') return createApp([LimitedBenchModule]);
  const modules = [...FEATURE_MODULES.filter((m) => m !== IdentityModule), BareBenchModule];
  const env = parseEnv(process.env);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(env, modules), { bodyParser: false, bufferLogs: true });
  configureApp(app, env);
  return app;
}

start()
  .then(async (app) => {
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    process.stdout.write(`BENCH_URL=http://127.0.0.1:${port}\n`);
  })
  .catch((error: Error) => {
    process.stderr.write(`${error.stack}\n`);
    process.exit(1);
  });
