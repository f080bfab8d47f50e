import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { renderOpenApiSpec } from '../server/openapi/render-spec';

const ROOT = resolve(__dirname, '..');
const CLIENT_API = join(ROOT, 'client/src/app/api');

function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

/** The first line where two texts part, for a failure message a person can act on. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const at = a.findIndex((line, i) => line !== b[i]);
  const line = at === -1 ? a.length : at;
  return `line ${line + 1}: committed ${JSON.stringify(b[line] ?? '<end>')}, generated ${JSON.stringify(a[line] ?? '<end>')}`;
}

describe('OpenAPI drift', () => {
  it('openapi.json is what the code generates', async () => {
    const generated = await renderOpenApiSpec();
    const committed = readFileSync(join(ROOT, 'openapi.json'), 'utf8');
    if (generated !== committed) {
      throw new Error(`openapi.json is out of date: run npm run openapi and commit (${firstDifference(generated, committed)})`);
    }
  });

  it('client/src/app/api is what ng-openapi-gen generates from openapi.json', () => {
    const out = mkdtempSync(join(tmpdir(), 'nono-api-client-'));
    try {
      const config = JSON.parse(readFileSync(join(ROOT, 'client/ng-openapi-gen.json'), 'utf8')) as Record<string, unknown>;
      delete config.$schema;
      const configFile = join(out, 'ng-openapi-gen.json');
      writeFileSync(configFile, JSON.stringify({ ...config, input: join(ROOT, 'openapi.json'), output: join(out, 'api') }));
      const gen = spawnSync(process.execPath, [require.resolve('ng-openapi-gen/lib/index.js'), '--config', configFile], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(gen.stderr).toBe('');
      expect(gen.status).toBe(0);

      const expected = filesUnder(join(out, 'api'));
      const actual = filesUnder(CLIENT_API);
      const problems: string[] = [];
      for (const [file, text] of expected) {
        if (!actual.has(file)) problems.push(`missing ${file}`);
        else if (actual.get(file) !== text) problems.push(`changed ${file}`);
      }
      for (const file of actual.keys()) if (!expected.has(file)) problems.push(`stale ${file}`);
      if (problems.length > 0) {
        throw new Error(`client/src/app/api is out of date: run npm run openapi and commit (${problems.slice(0, 10).join(', ')})`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
