/**
 * The fake OpenAI-compatible server as a process, for development mode and benchmarks:
 *   node -r ts-node/register/transpile-only test/support/fake-openai-cli.ts --port 8001
 * Options: --port N (0 = free port), --host H, --chunk-delay-ms N, --first-chunk-delay-ms N,
 *   --chunks N (answer with N fixed chunks instead of the echo answer), --chunk-text T, --model M.
 * Prints "FAKE_OPENAI_URL=<base url>" once listening, then nothing per request.
 */
import { FakeReply, startFakeOpenAI } from './fake-openai';

function parseArgs(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`Unknown argument ${argv[i]}`);
    out[m[1]] = m[2] ?? argv[++i] ?? '';
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const num = (name: string, fallback: number) => (args[name] === undefined ? fallback : Number(args[name]));
  const reply: FakeReply = {
    model: args.model ?? 'nono-dev-model',
    chunkDelayMs: num('chunk-delay-ms', 30),
    firstChunkDelayMs: num('first-chunk-delay-ms', 0),
  };
  if (args.chunks) reply.chunks = Array.from({ length: num('chunks', 20) }, () => args['chunk-text'] ?? 'token ');
  const fake = await startFakeOpenAI({
    port: num('port', 8001),
    host: args.host ?? '127.0.0.1',
    defaultReply: (body) => ({ ...reply, model: body.model ?? reply.model }),
  });
  process.stdout.write(`FAKE_OPENAI_URL=${fake.url}\n`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Without a log, the request list would grow forever in a long-running process.
  setInterval(() => fake.requests.splice(0, fake.requests.length), 10_000).unref();
}

main().catch((error: Error) => {
  process.stderr.write(`fake OpenAI server cannot start: ${error.message}\n`);
  process.exit(1);
});
