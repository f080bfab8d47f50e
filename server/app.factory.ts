import { INestApplication, Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AppModule, clientBuilt, clientRoot } from './app.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { jsonBodyParser } from './common/body-parser';
import { AppLogger, requestLogger, rootLogger } from './common/logging';
import { assignRequestId } from './common/request-id';
import { securityHeaders } from './common/security-headers';
import { apiValidationPipe } from './common/validation';
import { Env, parseEnv } from './config/env';
import type { EmbeddedPersistence } from './redis/embedded-persistence';
import { EMBEDDED_PERSISTENCE } from './redis/redis.constants';
import { setupOpenApi } from './openapi/openapi';
import { FEATURE_MODULES } from './features';
import { RAW_BODY_ROUTES } from './transfer/transfer.module';

type ModuleList = NonNullable<Parameters<typeof AppModule.forRoot>[1]>;

/** Everything main.ts, the tests and the spec writer share, so they all see the same app. */
export function configureApp(app: INestApplication, env: Env): void {
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  // API responses are per-caller and change with every message; hashing each body for an ETag
  // (SHA-1 of up to hundreds of KB) costs more than the rare 304 saves. Static files keep theirs.
  express.set('etag', false);
  // Browser hardening headers first, so every answer carries them, errors included.
  app.use(securityHeaders());
  // Client addresses (per-address rate limits, logs) come from X-Forwarded-For only behind a
  // configured proxy; otherwise anyone could claim any address.
  express.set('trust proxy', env.trustProxy);
  const logger = rootLogger(env);
  app.useLogger(new AppLogger(logger));
  // One middleware for what every request needs (each express layer has its own cost): its id,
  // its log line, and a parsed JSON body when it has one.
  const logRequest = requestLogger(logger);
  const parseBody = jsonBodyParser(env.bodyLimitBytes);
  const persistence = embeddedPersistence(app);
  app.use((req: Request, res: Response, next: NextFunction) => {
    // With the embedded store's DATA_DIR: what a reply acknowledges is in the log before it leaves.
    persistence?.writeBeforeReplies(res);
    assignRequestId(req, res);
    logRequest(req, res);
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) return next();
    // Their handlers stream the body themselves, under their own limit.
    if (RAW_BODY_ROUTES.some((r) => r.method === req.method && r.path === req.path)) return next();
    parseBody(req, res, next);
  });
  app.useGlobalPipes(apiValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  setupOpenApi(app);
  if (!clientBuilt(env)) {
    new NestLogger('Client').warn(
      `No web client at ${clientRoot(env)} (run "npm run build:client" or set CLIENT_DIR): serving the API only.`,
    );
  }
}

/** The embedded store's files, when the app keeps them (DATA_DIR without REDIS_URL). */
function embeddedPersistence(app: INestApplication): EmbeddedPersistence | null {
  try {
    return app.get<EmbeddedPersistence | null>(EMBEDDED_PERSISTENCE, { strict: false });
  } catch {
    return null; // an app without the store's module (none of the product's)
  }
}

/**
 * The app with the product's feature modules; `extra` mounts more (tests use it for probe routes).
 * The environment is read here once (unless the caller already has it) and everything in the app,
 * middleware and injected config alike, uses that one value.
 */
export async function createApp(extra: ModuleList = [], env: Env = parseEnv(process.env)): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(env, [...FEATURE_MODULES, ...extra]), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  configureApp(app, env);
  return app;
}
