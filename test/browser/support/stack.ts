import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { FakeOpenAI, startFakeOpenAI } from '../../support/fake-openai';
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../../support/redis';
import { freePort } from '../../support/ports';
export { freePort };

const ROOT = resolve(__dirname, '../../..');
export const SERVER_MAIN = resolve(ROOT, 'dist/server/main.js');
export const CLIENT_DIR = resolve(ROOT, 'dist/client/browser');

/** The real app as a separate process (the built server serving the built client) plus the fake model server. */
export interface Stack {
  /** http://127.0.0.1:<port> of the app. */
  url: string;
  /** The fake OpenAI-compatible server; null when the app runs with no model configured. */
  fake: FakeOpenAI | null;
  prefix: string;
  /** What the server process printed, for failure messages. */
  output(): string;
  close(): Promise<void>;
}

export interface StackOptions {
  /** false: start the app with no model configured (chat answers 503). Default true. */
  model?: boolean;
  env?: Record<string, string>;
}


export async function startStack(options: StackOptions = {}): Promise<Stack> {
  for (const built of [SERVER_MAIN, resolve(CLIENT_DIR, 'index.html')]) {
    if (!existsSync(built)) throw new Error(`${built} is missing: run "npm run build" first.`);
  }
  const fake = options.model === false ? null : await startFakeOpenAI();
  const port = await freePort();
  const prefix = uniquePrefix('browser');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    CLIENT_DIR,
    // The rate limits have their own API tests; browser tests send as fast as a script can.
    RATE_LIMIT_MESSAGES_PER_MINUTE: '0',
    RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
    ...(fake ? { OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'test-key', OPENAI_MODEL: 'fake-model' } : {}),
    ...options.env,
  };
  const child = spawn(process.execPath, [SERVER_MAIN], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(url, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    await fake?.close();
    throw error;
  }
  return {
    url,
    fake,
    prefix,
    output: () => output,
    async close() {
      await stopProcess(child);
      await fake?.close();
      await deleteKeysWithPrefix(prefix).catch(() => 0);
    },
  };
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The server exited (${child.exitCode}):\n${output()}`);
    try {
      const response = await fetch(`${url}/health/live`);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`The server did not start within 30 s:\n${output()}`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
