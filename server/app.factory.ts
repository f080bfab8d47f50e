import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { jsonBodyParser } from './common/body-parser';
import { requestId } from './common/request-id';
import { parseEnv } from './config/env';
import { setupOpenApi } from './openapi/openapi';
import { FEATURE_MODULES } from './features';

/** Everything main.ts, the tests and the spec writer share, so they all see the same app. */
export function configureApp(app: INestApplication): void {
  const env = parseEnv(process.env);
  const express = app as NestExpressApplication;
  express.disable('x-powered-by');
  app.useLogger(app.get(Logger));
  app.use(requestId);
  app.use(jsonBodyParser(env.bodyLimitBytes));
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();
  setupOpenApi(app);
}

export async function createApp(): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(FEATURE_MODULES), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  configureApp(app);
  return app;
}
