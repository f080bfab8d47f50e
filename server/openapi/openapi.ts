import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

function sortKeys<T extends Record<string, unknown>>(obj: T | undefined): T | undefined {
  if (!obj) return obj;
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

/** The spec, with paths and schemas sorted so the same code always gives the same file. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('nono-chat API')
    .setDescription(
      'Self-hostable chat: many private sessions per person, each with a persona, answered by any ' +
        'OpenAI-compatible model. Get a token from POST /api/auth/guest and send it as ' +
        '`Authorization: Bearer <token>` on every other /api call.',
    )
    .setVersion('1.0.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: 'Token from POST /api/auth/guest' })
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey: string, methodKey: string) => methodKey,
  });
  document.paths = sortKeys(document.paths)!;
  if (document.components?.schemas) document.components.schemas = sortKeys(document.components.schemas);
  if (document.tags) document.tags = [...document.tags].sort((a, b) => a.name.localeCompare(b.name));
  return document;
}

export function setupOpenApi(app: INestApplication): OpenAPIObject {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    customSiteTitle: 'nono-chat API',
    // No validator badge: it would send the spec's address to validator.swagger.io (and the CSP blocks it).
    swaggerOptions: { persistAuthorization: true, validatorUrl: null },
  });
  return document;
}
