import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createApp } from '../app.factory';
import { buildOpenApiDocument } from './openapi';

/** Writes openapi.json from the app's routes and DTOs, without listening on a port. */
async function main(): Promise<void> {
  delete process.env.REDIS_URL; // the spec does not depend on the store
  process.env.LOG_LEVEL = 'error';
  const app = await createApp();
  await app.init();
  const document = buildOpenApiDocument(app);
  await app.close();
  const file = resolve(process.argv[2] ?? 'openapi.json');
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
