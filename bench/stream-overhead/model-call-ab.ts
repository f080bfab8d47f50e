/**
 * A/B of the model call alone, in one process, against the fake model server: CPU per streamed
 * answer of (a) the openai SDK's streaming (what LlmService uses), (b) Node's fetch with
 * eventsource-parser (no SDK), (c) undici's dispatcher API (`request` on an Agent) with
 * eventsource-parser, (d) the same reading the body with 'data' events (no async iterator). Each round streams ANSWERS answers arriving evenly over 1 s, each of
 * BENCH_CHUNKS chunks BENCH_CHUNK_DELAY_MS apart; the variants take turns, several rounds each.
 *
 *   node -r ts-node/register/transpile-only bench/stream-overhead/model-call-ab.ts
 *   BENCH_ROUNDS=5 BENCH_ANSWERS=100
 */
import { createParser } from 'eventsource-parser';
import { finished } from 'node:stream';
import OpenAI from 'openai';
import { Agent, request } from 'undici';
import { startFakeModel } from '../common/processes';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ANSWERS = Number(process.env.BENCH_ANSWERS ?? 100);
const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 30);
const CHUNK_DELAY_MS = Number(process.env.BENCH_CHUNK_DELAY_MS ?? 50);

type Variant = (onText: (text: string) => void) => Promise<void>;

function body(): string {
  return JSON.stringify({
    model: 'bench-model',
    messages: [{ role: 'user', content: 'bench message' }],
    stream: true,
    stream_options: { include_usage: true },
  });
}

/** Text, finish reason and usage out of one event's data, as the service reads them. */
function onData(data: string, onText: (text: string) => void): void {
  if (data === '[DONE]') return;
  const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }> };
  const text = chunk.choices?.[0]?.delta?.content;
  if (text) onText(text);
}

async function main(): Promise<void> {
  const fake = await startFakeModel({ chunks: CHUNKS, chunkDelayMs: CHUNK_DELAY_MS });
  const url = `${fake.url}/chat/completions`;
  const sdk = new OpenAI({ apiKey: 'bench-key', baseURL: fake.url, maxRetries: 0, logLevel: 'off' });
  const agent = new Agent({ keepAliveTimeout: 4000 });
  /** The streamed request on undici's dispatcher API, as the app sends it. */
  const post = () =>
    request(url, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key' },
      body: body(),
    });
  const variants: Record<string, Variant> = {
    'openai SDK stream': async (onText) => {
      const stream = await sdk.chat.completions.create({ model: 'bench-model', messages: [{ role: 'user', content: 'bench message' }], stream: true, stream_options: { include_usage: true } });
      for await (const chunk of stream) {
        const text = chunk.choices?.[0]?.delta?.content;
        if (text) onText(text);
      }
    },
    'fetch + eventsource-parser': async (onText) => {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key' }, body: body() });
      const parser = createParser({ onEvent: (e) => onData(e.data, onText) });
      const decoder = new TextDecoder();
      for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(part, { stream: true }));
    },
    'undici request + eventsource-parser': async (onText) => {
      const res = await post();
      const parser = createParser({ onEvent: (e) => onData(e.data, onText) });
      const decoder = new TextDecoder();
      for await (const part of res.body) parser.feed(decoder.decode(part as Buffer, { stream: true }));
    },
    'undici request + parser, data events': async (onText) => {
      const res = await post();
      const parser = createParser({ onEvent: (e) => onData(e.data, onText) });
      const decoder = new TextDecoder();
      res.body.on('data', (part: Buffer) => parser.feed(decoder.decode(part, { stream: true })));
      await new Promise<void>((done, failed) => finished(res.body, (error) => (error ? failed(error) : done())));
    },
  };
  const names = Object.keys(variants);
  const results = new Map<string, number[]>(names.map((n) => [n, []]));
  const round = async (variant: Variant): Promise<number> => {
    let texts = 0;
    const before = process.cpuUsage();
    const runs: Array<Promise<void>> = [];
    for (let i = 0; i < ANSWERS; i++) {
      runs.push(variant(() => texts++));
      await new Promise((r) => setTimeout(r, 1000 / ANSWERS));
    }
    await Promise.all(runs);
    const used = process.cpuUsage(before);
    if (texts !== ANSWERS * CHUNKS) throw new Error(`${texts} texts, expected ${ANSWERS * CHUNKS}`);
    return (used.user + used.system) / 1000 / ANSWERS;
  };
  for (const name of names) await round(variants[name]); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of r % 2 ? [...names].reverse() : names) results.get(name)!.push(await round(variants[name]));
  }
  for (const [name, values] of results) {
    const sorted = [...values].sort((a, b) => a - b);
    process.stdout.write(`${name.padEnd(36)} CPU per answer median ${sorted[sorted.length >> 1].toFixed(2)} ms  (${sorted.map((v) => v.toFixed(2)).join(', ')})\n`);
  }
  await agent.close();
  await fake.stop();
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack}\n`);
  process.exit(1);
});
