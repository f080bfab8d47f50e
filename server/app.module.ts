import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ServeStaticModule } from '@nestjs/serve-static';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { allConfig } from './config/config';
import { Env, parseEnv } from './config/env';
import { HealthModule } from './health/health.module';
import { PersonasModule } from './personas/personas.module';
import { RedisModule } from './redis/redis.module';

/** Paths the web client never answers, so API and health errors stay JSON. */
export const NON_CLIENT_PATHS = ['/api{/*path}', '/health{/*path}'];

/** Where the built Angular client is expected (CLIENT_DIR, else dist/client/browser). */
export function clientRoot(env: Env): string {
  return resolve(env.clientDir ?? 'dist/client/browser');
}

export function clientBuilt(env: Env): boolean {
  return existsSync(resolve(clientRoot(env), 'index.html'));
}

/** Angular's output-hashed bundles (main-3KXQ7ZPA.js): their content never changes under that name. */
const HASHED_ASSET = /-[A-Z0-9]{8}\.(js|css|woff2?)$/;

/** Serves the built Angular client, with index.html for every other path (client-side routes). */
function clientModule(env: Env): DynamicModule[] {
  if (!clientBuilt(env)) return [];
  return [
    ServeStaticModule.forRoot({
      rootPath: clientRoot(env),
      exclude: NON_CLIENT_PATHS,
      serveStaticOptions: {
        setHeaders: (res, path) => {
          if (HASHED_ASSET.test(path)) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
        },
      },
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
          // main.ts reads `.env` into process.env before anything parses it, so every reader
          // (this module, the app factory, the config namespaces) sees one and the same environment.
          ignoreEnvFile: true,
          load: allConfig,
          validate: (raw) => {
            parseEnv(raw as Record<string, string | undefined>);
            return raw;
          },
        }),
        RedisModule,
        PersonasModule,
        HealthModule,
        ...(feature ?? []),
        ...clientModule(env),
      ],
    };
  }
}
