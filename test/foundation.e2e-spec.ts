import request from 'supertest';
import { startTestApp, TestApp } from './support/app';

describe('foundation (real Redis)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET /health is ready with Redis up', async () => {
    const res = await request(t.url).get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.details.redis).toMatchObject({ status: 'up', store: 'redis' });
    expect(res.body.details.model.configured).toBe(false);
  });

  it('unknown /api route answers JSON 404', async () => {
    const res = await request(t.url).get('/api/definitely-not-here').expect(404);
    expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect(res.body.message).toContain('/api/definitely-not-here');
  });
});
