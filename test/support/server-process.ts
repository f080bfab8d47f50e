import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './ports';
import { eventually } from './probe';

const ROOT = resolve(__dirname, '../..');
export const BUILT_MAIN = join(ROOT, 'dist/server/main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Whether dist/ holds a build at least as new as the server's sources. */
export function builtIsCurrent(): boolean {
  try {
    return statSync(BUILT_MAIN).mtimeMs >= newestSource(join(ROOT, 'server'));
  } catch {
    return false; // not built
  }
}

/** `node` arguments that start the server: the build in dist/ when it is current, else the sources via ts-node. */
export function serverCommand(): string[] {
  if (builtIsCurrent()) return [BUILT_MAIN];
  return ['-r', require.resolve('ts-node/register/transpile-only'), join(ROOT, 'server/main.ts')];
}

/** The environment a spawned server starts from: no developer settings, the repository's personas. */
export const SERVER_BASE_ENV: Record<string, string> = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
  PERSONAS_FILE: join(ROOT, 'config/personas.yaml'),
  // As in startTestApp: the fake model's request log holds only answers.
  TITLE_MODEL: 'off',
};

export interface ServerProcess {
  url: string;
  child: ChildProcessWithoutNullStreams;
  /** Everything it printed so far. */
  output(): string;
  /** Resolves when it has exited and its output is read. */
  exited: Promise<void>;
}

/** Starts the real server on a free port in `cwd` and waits until it answers /health/live. */
export async function startServerProcess(env: Record<string, string>, cwd: string): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, serverCommand(), { cwd, env: { ...SERVER_BASE_ENV, ...env, PORT: String(port), HOST: '127.0.0.1' } });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
      return (await fetch(`${url}/health/live`).catch(() => undefined))?.status === 200;
    }, 90_000); // ts-node on a busy machine can take this long
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return { url, child, output: () => output, exited };
}
