#!/usr/bin/env node
/**
 * Development mode: `npm run dev` starts
 *   1. the built-in fake OpenAI-compatible model server (no API key needed),
 *   2. the API in watch mode, pointed at it (OPENAI_BASE_URL, OPENAI_MODEL=nono-dev-model),
 *   3. the Angular dev server on http://localhost:4200 (proxying /api to the API), unless --no-client.
 * The store is the embedded one unless REDIS_URL is set. Ctrl-C stops everything.
 * Options: --no-client, --fake-port N (default 8001), or FAKE_OPENAI_PORT.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

const args = process.argv.slice(2);
const withClient = !args.includes('--no-client');
const portArg = args.indexOf('--fake-port');
const fakePort = portArg >= 0 ? args[portArg + 1] : process.env.FAKE_OPENAI_PORT ?? '8001';
const children = [];

/** Output goes straight to this terminal, so the API keeps its coloured, one-line logs. */
function start(name, command, commandArgs, env = process.env, stdout = 'inherit') {
  const child = spawn(command, commandArgs, { env, stdio: ['ignore', stdout, 'inherit'] });
  children.push(child);
  child.on('exit', (code, signal) => {
    process.stdout.write(`[${name}] exited (${signal ?? code})\n`);
    if (!stopping) stop(code ?? 1);
  });
  return child;
}

let stopping = false;
function stop(code = 0) {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 500).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

function startFakeModel() {
  return new Promise((resolve, reject) => {
    const child = start('model', process.execPath, [
      '-r',
      'ts-node/register/transpile-only',
      'test/support/fake-openai-cli.ts',
      '--port',
      fakePort,
    ], process.env, 'pipe');
    createInterface({ input: child.stdout }).on('line', (line) => {
      process.stdout.write(`[model] ${line}\n`);
      const match = /^FAKE_OPENAI_URL=(.+)$/.exec(line);
      if (match) resolve(match[1]);
    });
    child.on('exit', () => reject(new Error(`the fake model server did not start (is port ${fakePort} free? use --fake-port)`)));
  });
}

const banner = (url) =>
  [
    '',
    '============================================================================',
    ' DEVELOPMENT MODEL: answers come from the built-in fake model, not a real one.',
    ` It echoes what you write, labelled "[development model]" (${url}).`,
    ' To use a real model, run `npm start` with OPENAI_MODEL and OPENAI_API_KEY',
    ' (or OPENAI_BASE_URL for Ollama, vLLM, LM Studio, llama.cpp server).',
    '============================================================================',
    '',
  ].join('\n');

const url = await startFakeModel().catch((error) => {
  process.stderr.write(`${error.message}\n`);
  stop(1);
});
if (url) {
  process.stdout.write(banner(url));
  const env = { ...process.env, OPENAI_BASE_URL: url, OPENAI_MODEL: 'nono-dev-model' };
  delete env.OPENAI_API_KEY;
  // Built into node_modules/.cache so a development run never replaces dist/ (what `npm start` serves).
  start('api', process.execPath, ['node_modules/@nestjs/cli/bin/nest.js', 'start', '--watch', '--preserveWatchOutput', '-p', 'scripts/dev.tsconfig.json'], env);
  if (withClient) {
    start('client', process.execPath, ['node_modules/@angular/cli/bin/ng.js', 'serve', '--port', '4200']);
    process.stdout.write('Open http://localhost:4200 (the API is on http://localhost:8000, docs at /api/docs)\n');
  }
}
