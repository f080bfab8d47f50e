import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ServeStaticModule } from '@nestjs/serve-static';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { LoggerModule } from 'nestjs-pino';
import { allConfig } from './config/config';
import { Env, parseEnv } from './config/env';
import { HealthModule } from './health/health.module';
import { PersonasModule } from './personas/personas.module';
import { RedisModule } from './redis/redis.module';

function loggerModule(env: Env): DynamicModule {
  const pretty = process.stdout.isTTY && env.logLevel !== 'silent';
  return LoggerModule.forRoot({
    pinoHttp: {
      level: env.logLevel,
      genReqId: (req) => (req as { id?: string }).id ?? 'unknown',
      customProps: () => ({ service: 'nono-chat' }),
      // Tokens never reach the logs.
      redact: ['req.headers.authorization', 'req.headers.cookie'],
      autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
      ...(pretty ? { transport: { target: 'pino-pretty', options: { singleLine: true, colorize: true } } } : {}),
    },
  });
}

function clientModule(env: Env): DynamicModule[] {
  const rootPath = resolve(env.clientDir ?? 'dist/client/browser');
  if (!existsSync(resolve(rootPath, 'index.html'))) return [];
  return [
    ServeStaticModule.forRoot({
      rootPath,
      exclude: ['/api/{*path}', '/health{/*path}'],
    }),
  ];
}

@Module({})
export class AppModule {
  /** Built per app so each start (and each test app) validates the environment as it is then. */
  static forRoot(feature: DynamicModule['imports'] = []): DynamicModule {
    const env = parseEnv(process.env);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: allConfig,
          validate: (raw) => {
            parseEnv(raw as Record<string, string | undefined>);
            return raw;
          },
        }),
        loggerModule(env),
        RedisModule,
        PersonasModule,
        HealthModule,
        ...(feature ?? []),
        ...clientModule(env),
      ],
    };
  }
}
