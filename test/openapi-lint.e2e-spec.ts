import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const SPEC = join(ROOT, 'openapi.json');

/** What to change in the code for each kind of finding (openapi.json is generated: never edit it). */
const FIXES: Record<string, string> = {
  'operation-description':
    'give the route a description: @ApiOperation({ summary: "...", description: "..." }) on the controller method',
  'operation-tag-defined': 'declare the @ApiTags name, with a description, in API_TAGS (server/openapi/openapi.ts)',
  'oas3-unused-component': 'reference the schema from an operation, or stop listing it in @ApiExtraModels',
};

interface Finding {
  code: string;
  message: string;
  path: string[];
  severity: number;
  source?: string;
}

/** Runs the Spectral CLI with the project's ruleset (.spectral.yaml) on the given files. */
function spectral(files: string[]): Finding[] {
  const run = spawnSync(
    process.execPath,
    [require.resolve('@stoplight/spectral-cli/dist/index.js'), 'lint', ...files, '-r', join(ROOT, '.spectral.yaml'), '-f', 'json', '-q'],
    { cwd: ROOT, encoding: 'utf8', timeout: 170_000 },
  );
  if (run.error) throw run.error;
  const start = run.stdout.indexOf('[');
  if (start < 0) throw new Error(`Spectral gave no report (exit ${run.status}):\n${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout.slice(start)) as Finding[];
}

function describeFinding(f: Finding): string {
  const fix = FIXES[f.code] ? `\n      fix: ${FIXES[f.code]}` : '';
  return `  - ${f.path.join('.')}: ${f.message} (${f.code})${fix}`;
}

describe('OpenAPI lint (Spectral, spectral:oas)', () => {
  let dir: string;
  let findings: Finding[];
  let broken: string;

  beforeAll(() => {
    // A copy with one operation stripped of its description and tag declarations, linted in the
    // same run: proves the ruleset is loaded and would catch what a new route could miss.
    dir = mkdtempSync(join(tmpdir(), 'nono-spectral-'));
    const spec = JSON.parse(readFileSync(SPEC, 'utf8')) as {
      tags?: unknown[];
      paths: Record<string, Record<string, { description?: string }>>;
    };
    delete spec.paths['/api/me'].get.description;
    delete spec.tags;
    broken = join(dir, 'broken.json');
    writeFileSync(broken, JSON.stringify(spec, null, 2));
    findings = spectral([SPEC, broken]);
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('openapi.json has no errors, warnings or hints', () => {
    const own = findings.filter((f) => resolve(f.source ?? '') === SPEC);
    if (own.length > 0) {
      throw new Error(
        `Spectral found ${own.length} problem(s) in openapi.json. Fix them in the code, then run npm run openapi:\n` +
          own.map(describeFinding).join('\n'),
      );
    }
  });

  it('catches an operation without a description and undeclared tags', () => {
    const codes = findings.filter((f) => resolve(f.source ?? '') === broken).map((f) => `${f.code} ${f.path.join('.')}`);
    expect(codes).toEqual(expect.arrayContaining(['operation-description paths./api/me.get', 'operation-tag-defined paths./api/me.get.tags.0']));
  });
});
