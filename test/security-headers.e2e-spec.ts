import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from './support/app';
import { newGuest } from './support/guest';

/** The browser-hardening headers on every kind of answer: client, API, health, docs, errors. */
describe('security headers', () => {
  let t: TestApp;
  let clientDir: string;
  let auth: Record<string, string>;
  beforeAll(async () => {
    clientDir = mkdtempSync(join(tmpdir(), 'nono-client-'));
    writeFileSync(join(clientDir, 'index.html'), '<!doctype html><html><body><nono-root></nono-root></body></html>');
    t = await startTestApp({ REDIS_URL: undefined, CLIENT_DIR: clientDir });
    auth = (await newGuest(t.url)).auth;
  });
  afterAll(async () => {
    await t.close();
    rmSync(clientDir, { recursive: true, force: true });
  });

  const directives = (csp: string) => Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));

  it.each([
    ['the web client', 'get', '/', 200],
    ['a client route', 'get', '/sessions/abc', 200],
    ['an API answer', 'get', '/api/personas', 200],
    ['an API error', 'get', '/api/sessions/nope', 404],
    ['a refused body', 'post', '/api/sessions', 400],
    ['health', 'get', '/health', 200],
  ] as const)('%s carries them', async (_label, method, path, status) => {
    const call = request(t.url)[method](path).set(auth);
    const res = await (method === 'post' ? call.set('Content-Type', 'application/json').send('{"a":') : call).expect(status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-frame-options']).toBe('DENY');
    const csp = directives(res.headers['content-security-policy']);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['script-src-attr']).toEqual(["'none'"]);
    expect(csp['default-src']).toEqual(["'self'"]);
    expect(csp['img-src']).toEqual(["'self'", 'data:']);
    expect(csp['object-src']).toEqual(["'none'"]);
  });

  it('the API docs page is served under the same policy', async () => {
    const res = await request(t.url).get('/api/docs').expect(200);
    expect(res.text).toContain('swagger-ui-init.js');
    expect(directives(res.headers['content-security-policy'])['script-src']).toEqual(["'self'"]);
  });
});
