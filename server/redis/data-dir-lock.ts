import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Directories this process holds (a second store in the same process would clash as well). */
const held = new Set<string>();

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holderOf(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class DataDirInUseError extends Error {
  constructor(
    message: string,
    /** The pid of the process holding the directory. */
    readonly holder: number,
  ) {
    super(message);
  }
}

/** The pid of the running process (this one included) that holds `dir`, if any. */
export function dataDirHolder(dir: string): number | undefined {
  const path = resolve(dir);
  if (held.has(path)) return process.pid;
  const holder = holderOf(join(path, 'lock'));
  return holder !== undefined && isRunning(holder) ? holder : undefined;
}

function inUse(dir: string, file: string, pid: number): DataDirInUseError {
  return new DataDirInUseError(
    `DATA_DIR ${dir} is in use by another running nono-chat (pid ${pid}, see ${file}). The embedded store ` +
      'serves one process only: stop the other one, give each its own DATA_DIR, or set REDIS_URL to run several on shared data.',
    pid,
  );
}

/**
 * Claims `dir` for this process with a `lock` file holding its pid; a lock left by a process that is
 * no longer running (e.g. after kill -9) is taken over. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const path = resolve(dir);
  const file = join(path, 'lock');
  if (held.has(path)) throw inUse(path, file, process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = holderOf(file);
      if (holder !== undefined && holder !== process.pid && isRunning(holder)) throw inUse(path, file, holder);
      if (attempt > 0) throw error;
      unlinkSync(file);
    }
  }
  held.add(path);
  return () => {
    held.delete(path);
    if (holderOf(file) === process.pid) unlinkSync(file);
  };
}
