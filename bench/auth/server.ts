/**
 * The two apps bench:auth compares, one per process (BENCH_AUTH_MODE):
 * - `limited`: the product's app (every feature module, the global bearer guard, the throttler in
 *   Redis) plus GET /bench/sessions = GET /api/sessions's handler with a rate limit on it;
 * - `bare`: a bench-only app module with the same handler and nothing in front of it: no identity
 *   module (no guard), no limits module (no throttler); the caller's id comes in a header.
 * Both share the rest (config, Redis, logging, validation, error filter), so the difference is the
 * auth and rate-limit checks.
 */
import 'reflect-metadata';
import { Controller, Get, Headers, Module, Query } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp, configureApp } from '../../server/app.factory';
import { AppModule } from '../../server/app.module';
import { CurrentUser } from '../../server/identity/current-user.decorator';
import type { Identity } from '../../server/identity/identity.types';
import { RateLimit } from '../../server/limits/limits.decorators';
import { SessionListDto, SessionListQueryDto } from '../../server/sessions/dto/session.dto';
import { SessionsModule } from '../../server/sessions/sessions.module';
import { SessionsRepository } from '../../server/sessions/sessions.repository';
import { SessionsService } from '../../server/sessions/sessions.service';

@Controller('bench')
class LimitedSessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get('sessions')
  @RateLimit('sessions')
  listLimited(@CurrentUser() me: Identity, @Query() query: SessionListQueryDto): Promise<SessionListDto> {
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

/** Sessions' service and repository without the sessions module's controllers (whose routes carry limits). */
@Module({ controllers: [BareSessionsController], providers: [SessionsRepository, SessionsService] })
class BareBenchModule {}

async function start(): Promise<NestExpressApplication> {
  if (process.env.BENCH_AUTH_MODE === 'limited') return createApp([LimitedBenchModule]);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot([BareBenchModule]), { bodyParser: false, bufferLogs: true });
  configureApp(app);
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
