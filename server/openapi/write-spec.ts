import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderOpenApiSpec } from './render-spec';

/** Writes openapi.json (or the file named as the first argument) from the app's routes and DTOs. */
async function main(): Promise<void> {
  const file = resolve(process.argv[2] ?? 'openapi.json');
  writeFileSync(file, await renderOpenApiSpec());
  process.stdout.write(`wrote ${file}\n`);
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});
