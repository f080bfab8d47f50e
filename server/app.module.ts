import { DynamicModule, Module } from '@nestjs/common';
import { ServeStaticModule } from '@nestjs/serve-static';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { configModule } from './config/config';
import { Env } from './config/env';
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
  /** Built per app from the environment that app was created with (tests run several at once). */
  static forRoot(env: Env, feature: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        configModule(env),
        RedisModule,
        PersonasModule,
        HealthModule,
        ...(feature ?? []),
        ...clientModule(env),
      ],
    };
  }
}
