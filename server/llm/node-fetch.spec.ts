import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { createNodeFetch } from './node-fetch';

describe('createNodeFetch', () => {
  const fetch = createNodeFetch();
  let server: Server;
  let url: string;
  const seen: Array<{ method?: string; url?: string; headers: IncomingMessage['headers']; body: string }> = [];
  let closedEarly = 0;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/json') return res.writeHead(201, { 'Content-Type': 'application/json', 'X-Request-Id': 'r1' }).end('{"ok":true}');
        if (req.url === '/gzip') return res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(gzipSync('zipped text'));
        if (req.url === '/moved') return res.writeHead(307, { Location: '/json' }).end();
        if (req.url === '/see-other') return res.writeHead(303, { Location: '/json' }).end();
        if (req.url === '/error') return res.writeHead(429, { 'Content-Type': 'application/json' }).end('{"error":{"message":"slow down"}}');
        if (req.url === '/slow') {
          res.writeHead(200, { 'Content-Type': 'text/event-stream' });
          res.write('data: first\n\n');
          res.on('close', () => closedEarly++);
          return; // never ends by itself
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends method, headers and body; reads status, headers and JSON', async () => {
    const headers = new Headers({ Authorization: 'Bearer k', 'Content-Type': 'application/json' });
    const res = await fetch(`${url}/json`, { method: 'post', headers, body: '{"q":1}' });
    expect(res.status).toBe(201);
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-request-id')).toBe('r1');
    expect(await res.json()).toEqual({ ok: true });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: '{"q":1}', headers: { authorization: 'Bearer k' } });
  });

  it('reads error bodies as text and decodes gzip', async () => {
    const error = await fetch(`${url}/error`);
    expect([error.status, error.ok]).toEqual([429, false]);
    expect(await error.text()).toContain('slow down');
    expect(await (await fetch(`${url}/gzip`)).text()).toBe('zipped text');
  });

  it('follows redirects: 307 keeps method and body, 303 turns into GET', async () => {
    expect(await (await fetch(`${url}/moved`, { method: 'POST', body: 'again' })).json()).toEqual({ ok: true });
    expect(seen.at(-1)).toMatchObject({ method: 'POST', url: '/json', body: 'again' });
    await (await fetch(`${url}/see-other`, { method: 'POST', body: 'x' })).text();
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/json', body: '' });
  });

  it('an abort during the body ends it with an AbortError and closes the connection', async () => {
    const controller = new AbortController();
    const res = await fetch(`${url}/slow`, { signal: controller.signal });
    const body = res.body as unknown as AsyncIterable<Buffer>;
    const reading = (async () => {
      for await (const part of body) if (part.toString().includes('first')) controller.abort();
    })();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    for (let i = 0; i < 50 && closedEarly === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closedEarly).toBe(1);
  });

  it('an aborted signal rejects before sending; a refused connection is "fetch failed" with the cause', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(fetch(`${url}/json`, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });
});
