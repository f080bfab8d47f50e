import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv as parseDotEnv } from 'node:util';

/**
 * Reads `.env` from the working directory into the environment, if there is one. Variables already
 * set in the environment win (also when set to an empty value), so `PORT=9000 npm start` overrides
 * the file. Only main.ts calls this: tests and the spec writer never depend on a local `.env`.
 * Returns the file read, or undefined.
 */
export function loadDotEnv(dir = process.cwd(), target: NodeJS.ProcessEnv = process.env): string | undefined {
  const file = resolve(dir, '.env');
  if (!existsSync(file)) return undefined;
  for (const [name, value] of Object.entries(parseDotEnv(readFileSync(file, 'utf8')))) {
    if (value !== undefined && !(name in target)) target[name] = value;
  }
  return file;
}
