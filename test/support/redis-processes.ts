import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** redis-cli against a local port; its reply as text. */
export async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 10_000 });
  return stdout.trim();
}

/** Polls until `check` is true (a failed check counts as false), or throws after `ms`. */
export async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Redis server processes a test starts in a temporary folder, and ends with everything in it. */
export class RedisProcesses {
  readonly dir = mkdtempSync(join(tmpdir(), 'nono-redis-'));
  private readonly children = new Map<number, ChildProcess>();

  /** Starts `redis-server <args>` serving `port` and waits until it answers PING. */
  async start(port: number, args: string[]): Promise<void> {
    const child = spawn('redis-server', args, { cwd: this.dir, stdio: 'ignore' });
    this.children.set(port, child);
    await until(`redis on ${port}`, async () => (await cli(port, 'ping')) === 'PONG');
  }

  pid(port: number): number {
    return this.children.get(port)?.pid ?? NaN;
  }

  /** kill -9: the node vanishes with no goodbye, as in a crash. */
  crash(port: number): void {
    this.children.get(port)?.kill('SIGKILL');
    this.children.delete(port);
  }

  async close(): Promise<void> {
    const exits = [...this.children.values()].map(
      (child) => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve()))),
    );
    for (const child of this.children.values()) child.kill('SIGKILL');
    await Promise.all(exits);
    this.children.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
