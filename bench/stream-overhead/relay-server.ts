/**
 * The bare baseline for bench/stream-overhead: node:http only. Each request opens the upstream
 * stream on the model server (keep-alive agent), parses every upstream event (JSON.parse of its
 * `data:`) and re-emits its text as an SSE `delta` event, then `done` at [DONE]. No auth, storage,
 * context or timers: the floor that relaying a streamed answer costs in Node.
 */
import { Agent, createServer, request } from 'node:http';

const upstream = new URL(`${process.env.MODEL_URL!.replace(/\/+$/, '')}/chat/completions`);
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, timeout: 4000 });

const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const { content } = JSON.parse(Buffer.concat(parts).toString('utf8')) as { content: string };
    const body = JSON.stringify({
      model: 'bench-model',
      messages: [{ role: 'user', content }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const up = request(upstream, {
      method: 'POST',
      agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: 'Bearer bench-key' },
    });
    up.on('response', (upRes) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      upRes.setEncoding('utf8');
      let pending = '';
      upRes.on('data', (text: string) => {
        pending += text;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const event = pending.slice(0, end);
          pending = pending.slice(end + 2);
          if (!event.startsWith('data: ')) continue;
          const data = event.slice(6);
          if (data === '[DONE]') {
            res.write('event: done\ndata: {}\n\n');
            continue;
          }
          const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }> };
          const delta = chunk.choices?.[0]?.delta?.content;
          if (delta) res.write(`event: delta\ndata: ${JSON.stringify({ text: delta })}\n\n`);
        }
      });
      upRes.on('end', () => res.end());
    });
    up.on('error', () => res.destroy());
    res.on('close', () => res.writableFinished || up.destroy());
    up.end(body);
  });
});
server.keepAliveTimeout = 5000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`RELAY_URL=http://127.0.0.1:${port}\n`);
});
// A normal exit, so that --cpu-prof (BENCH_PROFILE) writes its profile.
process.once('SIGTERM', () => process.exit(0));
