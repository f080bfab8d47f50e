import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from './support/app';
import { authHeaders, eventually } from './support/probe';

/** The foundation as a client sees it: one app on a real port against the real Redis. */
describe('foundation (real Redis)', () => {
  let t: TestApp;
  let dir: string;
  let personasFile: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    // A private copy of the shipped catalogue, so the reload test can edit it.
    dir = mkdtempSync(join(tmpdir(), 'nono-foundation-'));
    personasFile = join(dir, 'personas.yaml');
    copyFileSync('config/personas.yaml', personasFile);
    t = await startTestApp({ PERSONAS_FILE: personasFile, OPENAI_MODEL: 'test-model', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' });
    auth = await authHeaders(t.url);
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('health', () => {
    it('GET /health is ready with Redis up and reports the model configuration', async () => {
      const res = await request(t.url).get('/health').expect(200);
      expect(res.headers['cache-control']).toContain('no-store');
      expect(res.body.status).toBe('ok');
      expect(res.body.details.redis).toMatchObject({ status: 'up', store: 'redis', latency_ms: expect.any(Number) });
      expect(res.body.details.model).toEqual({ status: 'up', configured: true, default_model: 'test-model' });
    });

    it('/health/live and /health/ready answer 200 without a token', async () => {
      const live = await request(t.url).get('/health/live').expect(200);
      expect(live.body).toMatchObject({ status: 'ok', details: {} });
      const ready = await request(t.url).get('/health/ready').expect(200);
      expect(Object.keys(ready.body.details)).toEqual(['redis']);
    });
  });

  describe('personas', () => {
    it('GET /api/personas lists the four shipped personas with their parameters', async () => {
      const res = await request(t.url).get('/api/personas').set(auth).expect(200);
      expect(res.body.default_persona).toBe('default');
      expect(res.body.personas.map((p: { key: string }) => p.key)).toEqual([
        'default',
        'mental_health_nurse',
        'technical_support',
        'creative_writer',
      ]);
      expect(res.body.personas[2]).toMatchObject({
        key: 'technical_support',
        name: 'Technical Support',
        description: expect.stringContaining('troubleshooting'),
        system_prompt: expect.stringContaining('technical support engineer'),
        temperature: 0.3,
        top_p: 0.9,
      });
    });

    it('an edit of the persona file shows in GET /api/personas without a restart', async () => {
      const original = readFileSync(personasFile, 'utf8');
      writeFileSync(
        personasFile,
        `${original}\n  pirate:\n    name: Pirate\n    description: Arr.\n    system_prompt: You talk like a pirate.\n`,
      );
      const keys = async () =>
        (await request(t.url).get('/api/personas').set(auth)).body.personas.map((p: { key: string }) => p.key);
      await eventually(async () => (await keys()).includes('pirate'));
      // A broken edit keeps the catalogue the app already has.
      writeFileSync(personasFile, 'personas: [broken\n');
      await new Promise((r) => setTimeout(r, 400));
      expect(await keys()).toContain('pirate');
      writeFileSync(personasFile, original);
      await eventually(async () => !(await keys()).includes('pirate'));
    });
  });

  describe('error shapes', () => {
    it('an unknown /api route answers JSON 404', async () => {
      const res = await request(t.url).get('/api/definitely-not-here').set(auth).expect(404).expect('Content-Type', /json/);
      expect(res.body).toEqual({
        statusCode: 404,
        error: 'Not Found',
        message: 'No such endpoint: GET /api/definitely-not-here. The API reference is at /api/docs.',
        request_id: expect.any(String),
      });
    });

    it('a body over 64 KB answers 413 JSON', async () => {
      const res = await request(t.url)
        .post('/api/personas')
        .set(auth)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ text: 'x'.repeat(520 * 1024) }))
        .expect(413)
        .expect('Content-Type', /json/);
      expect(res.body).toMatchObject({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'Request body is larger than the 524288-byte limit.',
      });
    });

    it('malformed JSON answers 400 JSON', async () => {
      const res = await request(t.url)
        .post('/api/personas')
        .set(auth)
        .set('Content-Type', 'application/json')
        .send('{"title": ')
        .expect(400)
        .expect('Content-Type', /json/);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.message).toMatch(/^Request body is not valid JSON: /);
    });

    it.each([
      ['null', 'null'],
      ['"text"', 'string'],
      ['42', 'number'],
      ['[{"content":"hi"}]', 'an array'],
    ])('valid JSON that is no object (%s) answers 400 saying so', async (body, what) => {
      const res = await request(t.url)
        .post('/api/sessions')
        .set(auth)
        .set('Content-Type', 'application/json')
        .send(body)
        .expect(400)
        .expect('Content-Type', /json/);
      expect(res.body.message).toBe(`Request body must be a JSON object, not ${what}`);
    });
  });

  describe('request ids', () => {
    it('echoes a sane X-Request-Id and puts it in error bodies', async () => {
      const res = await request(t.url).get('/api/nowhere').set(auth).set('X-Request-Id', 'trace-42.a:b').expect(404);
      expect(res.headers['x-request-id']).toBe('trace-42.a:b');
      expect(res.body.request_id).toBe('trace-42.a:b');
    });

    it('gives every response a fresh id when none (or a malformed one) is sent', async () => {
      const a = await request(t.url).get('/health/live');
      const b = await request(t.url).get('/health/live').set('X-Request-Id', 'bad id with spaces');
      expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(b.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });
  });

  describe('API documentation', () => {
    it('serves Swagger UI at /api/docs and the spec at /api/docs-json', async () => {
      const ui = await request(t.url).get('/api/docs').expect(200).expect('Content-Type', /html/);
      expect(ui.text).toContain('nono-chat API');
      const spec = await request(t.url).get('/api/docs-json').expect(200).expect('Content-Type', /json/);
      expect(spec.body.info.title).toBe('nono-chat API');
      expect(spec.body.paths['/api/personas'].get.operationId).toBe('listPersonas');
      expect(spec.body.paths['/health'].get.operationId).toBe('getHealth');
    });
  });
});
