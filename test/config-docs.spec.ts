import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Every variable parseEnv reads, straight from its source so a new one cannot be missed. */
function variablesInEnvTs(): string[] {
  const names = [...read('server/config/env.ts').matchAll(/\br\.\w+\(\s*'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]);
  return [...new Set(names)].sort();
}

describe('configuration documentation', () => {
  const variables = variablesInEnvTs();

  it('finds the variables the issue names', () => {
    expect(variables).toEqual(
      expect.arrayContaining([
        'PORT', 'HOST', 'REDIS_URL', 'REDIS_KEY_PREFIX', 'SESSION_TTL_SECONDS', 'PERSONAS_FILE',
        'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'OPENAI_MODEL', 'LOG_LEVEL',
      ]),
    );
  });

  it('README.md has a row for every variable', () => {
    const readme = read('README.md');
    const rows = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]));
    expect(variables.filter((v) => !rows.has(v))).toEqual([]);
    expect([...rows].filter((v) => !variables.includes(v))).toEqual([]);
  });

  it('config/.env.example shows every variable', () => {
    const example = read('config/.env.example');
    const shown = new Set([...example.matchAll(/^#?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    expect(variables.filter((v) => !shown.has(v))).toEqual([]);
    expect([...shown].filter((v) => !variables.includes(v))).toEqual([]);
  });
});
