import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ServeStaticModule } from '@nestjs/serve-static';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { LoggerModule } from 'nestjs-pino';
import { assignRequestId } from './common/request-id';
import { allConfig } from './config/config';
import { Env, parseEnv } from './config/env';
import { HealthModule } from './health/health.module';
import { PersonasModule } from './personas/personas.module';
import { RedisModule } from './redis/redis.module';

/** Paths the web client never answers, so API and health errors stay JSON. */
export const NON_CLIENT_PATHS = ['/api{/*path}', '/health{/*path}'];

function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false; // a production install without dev packages: stay with JSON
  }
}

/** Pretty, human lines in a terminal; one JSON object per line everywhere else (LOG_FORMAT overrides). */
export function wantsPrettyLogs(env: Env, isTTY = Boolean(process.stdout.isTTY)): boolean {
  if (env.logLevel === 'silent' || env.logFormat === 'json') return false;
  return (env.logFormat === 'pretty' || isTTY) && prettyAvailable();
}

function loggerModule(env: Env): DynamicModule {
  const pretty = wantsPrettyLogs(env);
  return LoggerModule.forRoot({
    pinoHttp: {
      level: env.logLevel,
      genReqId: (req, res) => assignRequestId(req, res),
      // In the base bindings rather than customProps: those cost an extra child logger per request.
      base: { pid: process.pid, hostname: hostname(), service: 'nono-chat' },
      // Only what identifies a request and its outcome: serializing every header on every request
      // was a large share of a small request's cost.
      serializers: {
        req: (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      // Tokens and cookies never reach the logs.
      redact: ['req.headers.authorization', 'req.headers["proxy-authorization"]', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/health') },
      ...(pretty
        ? {
            transport: {
              target: 'pino-pretty',
              options: {
                singleLine: true,
                colorize: true,
                translateTime: 'SYS:HH:MM:ss.l',
                // One short line per request: "[id] request completed GET /api/x 200 4ms".
                ignore: 'pid,hostname,service,req,res,responseTime',
                messageFormat: '{if req.id}[{req.id}] {end}{msg}{if res.statusCode} {req.method} {req.url} {res.statusCode} {responseTime}ms{end}',
              },
            },
          }
        : {}),
    },
  });
}

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
