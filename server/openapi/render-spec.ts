import { createApp } from '../app.factory';
import { buildOpenApiDocument } from './openapi';

/**
 * The text of openapi.json, exactly as `npm run openapi` writes it: the app is built without
 * listening, on the embedded store (the spec does not depend on the store), and serialized with
 * sorted paths and schemas. The drift test calls this too, so both always agree.
 */
export async function renderOpenApiSpec(): Promise<string> {
  const saved = { REDIS_URL: process.env.REDIS_URL, LOG_LEVEL: process.env.LOG_LEVEL };
  delete process.env.REDIS_URL;
  process.env.LOG_LEVEL = 'silent';
  try {
    const app = await createApp();
    try {
      await app.init();
      return `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
    } finally {
      await app.close();
    }
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
