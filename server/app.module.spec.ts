import { parseEnv } from './config/env';
import { NON_CLIENT_PATHS } from './app.module';
import { wantsPrettyLogs } from './common/logging';
import { pathToRegexp } from 'path-to-regexp';

describe('log format', () => {
  const env = (vars: Record<string, string> = {}) => parseEnv(vars);

  it('is pretty in a terminal and JSON otherwise', () => {
    expect(wantsPrettyLogs(env(), true)).toBe(true);
    expect(wantsPrettyLogs(env(), false)).toBe(false);
  });

  it('follows LOG_FORMAT over the terminal check', () => {
    expect(wantsPrettyLogs(env({ LOG_FORMAT: 'json' }), true)).toBe(false);
    expect(wantsPrettyLogs(env({ LOG_FORMAT: 'pretty' }), false)).toBe(true);
  });

  it('never starts the pretty printer for silent logs', () => {
    expect(wantsPrettyLogs(env({ LOG_LEVEL: 'silent', LOG_FORMAT: 'pretty' }), true)).toBe(false);
  });
});

describe('paths the web client never answers', () => {
  // The same test @nestjs/serve-static applies: the path plus "/" against each pattern.
  const excluded = (path: string) => NON_CLIENT_PATHS.some((p) => pathToRegexp(p).regexp.test(`${path}/`));

  it.each(['/api', '/api/personas', '/api/sessions/a/messages', '/api/docs', '/health', '/health/ready'])('%s', (path) => {
    expect(excluded(path)).toBe(true);
  });

  it.each(['/', '/sessions/abc', '/s/s_abc', '/apiary', '/healthy', '/media/app.js'])('not %s', (path) => {
    expect(excluded(path)).toBe(false);
  });
});
