import { createApp } from '../app.factory';
import { parseEnv } from '../config/env';
import { buildOpenApiDocument } from './openapi';

/**
 * The text of openapi.json, exactly as `npm run openapi` writes it: the app is built without
 * listening, on the embedded store (the spec does not depend on the store), and serialized with
 * sorted paths and schemas. The drift test calls this too, so both always agree.
 */
export async function renderOpenApiSpec(): Promise<string> {
  const app = await createApp([], parseEnv({ ...process.env, REDIS_URL: undefined, LOG_LEVEL: 'silent' }));
  try {
    await app.init();
    return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
  }
}
