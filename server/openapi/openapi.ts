import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

function sortKeys<T extends Record<string, unknown>>(obj: T | undefined): T | undefined {
  if (!obj) return obj;
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

/**
 * Every tag a controller uses (`@ApiTags`), with what its operations are about. A new tag must be
 * added here: the Spectral test (test/openapi-lint.e2e-spec.ts) fails on an undeclared one.
 */
export const API_TAGS: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'identity', description: 'Anonymous identities and their bearer tokens.' },
  { name: 'auth', description: 'Signing in and out: accounts, OpenID Connect, the server\'s sign-in options.' },
  { name: 'tokens', description: 'Personal API tokens for scripts and generated clients.' },
  { name: 'personas', description: 'The persona catalogue sessions choose from.' },
  { name: 'sessions', description: 'My chat sessions and their history.' },
  { name: 'chat', description: 'Sending messages and getting the model\'s answers, streamed or as JSON.' },
  { name: 'transfer', description: 'Export my sessions (one or all) and import conversations: this server\'s exports, ChatGPT, Claude.' },
  { name: 'shares', description: 'Read-only share links of my sessions, and reading or continuing a shared conversation.' },
  { name: 'search', description: 'Finding words in my sessions\' titles and messages.' },
  { name: 'events', description: 'Live changes to my sessions, from every server instance.' },
  { name: 'sessions (v0)', description: 'The v0 API\'s session calls, kept for existing clients.' },
  { name: 'health', description: 'Liveness, readiness and status for probes and dashboards.' },
];

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
    // Empty: the origin this document is served from, wherever that is deployed. Swagger UI reads it
    // so, and the generated client keeps '' as its root (with "/" every path would become "//api/...").
    .addServer('', 'The origin this document is served from')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: 'Token from POST /api/auth/guest' });
  for (const tag of API_TAGS) config.addTag(tag.name, tag.description);
  const document = SwaggerModule.createDocument(app, config.build(), {
    operationIdFactory: (_controllerKey: string, methodKey: string) => methodKey,
  });
  document.paths = sortKeys(document.paths)!;
  if (document.components?.schemas) document.components.schemas = sortKeys(document.components.schemas);
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
