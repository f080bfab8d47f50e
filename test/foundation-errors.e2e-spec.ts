import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import request from 'supertest';
import { startTestApp, TestApp } from './support/app';
import { authHeaders, ProbeModule } from './support/probe';

const INDEX_HTML = '<!doctype html><html><body><nono-root>client shell</nono-root></body></html>';

/**
 * The global pipe and filter on probe routes, and the web client's fallback beside the API, on the
 * embedded store with a stand-in client build (CLIENT_DIR).
 */
describe('foundation: error bodies and the web client', () => {
  let t: TestApp;
  let clientDir: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    clientDir = mkdtempSync(join(tmpdir(), 'nono-client-'));
    writeFileSync(join(clientDir, 'index.html'), INDEX_HTML);
    mkdirSync(join(clientDir, 'media'));
    writeFileSync(join(clientDir, 'media', 'app.js'), 'console.log("client")');
    writeFileSync(join(clientDir, 'main-3KXQ7ZPA.js'), 'console.log("bundle")');
    t = await startTestApp({ REDIS_URL: undefined, CLIENT_DIR: clientDir }, [ProbeModule]);
    auth = await authHeaders(t.url);
  });
  afterAll(async () => {
    await t.close();
    rmSync(clientDir, { recursive: true, force: true });
  });

  it('an invalid body answers 400 with one detail per problem', async () => {
    const res = await request(t.url)
      .post('/api/probe/echo')
      .send({ name: 'too long a name', count: 0, extra: true })
      .expect(400)
      .expect('Content-Type', /json/);
    expect(res.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringContaining('property extra should not exist'),
      details: expect.arrayContaining([
        'property extra should not exist',
        'name must be shorter than or equal to 5 characters',
        'count must not be less than 1',
      ]),
      request_id: expect.any(String),
    });
    expect(res.body.details).toHaveLength(3);
  });

  it('a valid body passes the pipe', async () => {
    await request(t.url).post('/api/probe/echo').send({ name: 'ok', count: 2 }).expect(201, { name: 'ok', count: 2 });
  });

  it('an unexpected error answers 500 with the request id and nothing internal; the log has the detail', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error');
    const res = await request(t.url).get('/api/probe/boom').set('X-Request-Id', 'boom-1').expect(500);
    const line = logged.mock.calls.map((call) => String(call[0])).find((m) => m.includes('boom-1'));
    logged.mockRestore();
    expect(line).toMatch(/^request boom-1 GET \/api\/probe\/boom failed: TypeError: internal detail/);
    expect(res.body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Something went wrong on our side. Quote request id boom-1 when reporting it.',
      request_id: 'boom-1',
    });
    expect(res.text).not.toMatch(/hunter2|TypeError|at .*\.ts/);
  });

  it('other paths answer the client (client-side routes get index.html)', async () => {
    for (const path of ['/', '/sessions/abc', '/settings?tab=2', '/s/s_abc', '/s/s_abc/']) {
      const res = await request(t.url).get(path).expect(200).expect('Content-Type', /html/);
      expect(res.text).toBe(INDEX_HTML);
    }
    await request(t.url).get('/media/app.js').expect(200).expect('Content-Type', /javascript/);
  });

  it('output-hashed bundles may be cached for good; index.html never', async () => {
    const bundle = await request(t.url).get('/main-3KXQ7ZPA.js').expect(200);
    expect(bundle.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const index = await request(t.url).get('/sessions/abc').expect(200);
    expect(index.headers['cache-control']).toBe('public, max-age=0');
  });

  it('the client never swallows /api or /health', async () => {
    for (const path of ['/api', '/api/', '/api/nope', '/api/sessions/x/y', '/health/nope']) {
      const res = await request(t.url).get(path).set(auth).expect(404).expect('Content-Type', /json/);
      expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    }
    await request(t.url).get('/health').expect(200).expect('Content-Type', /json/);
    await request(t.url).get('/api/docs').expect(200).expect('Content-Type', /html/);
    await request(t.url).get('/api/docs-json').expect(200).expect('Content-Type', /json/);
    // Names that only start like the API are client routes.
    await request(t.url).get('/apiary').expect(200).expect('Content-Type', /html/);
  });
});
