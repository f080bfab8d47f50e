import type { Writable } from 'node:stream';
import { loadDotEnv } from '../config/dotenv';
import { Env, EnvError, parseEnv } from '../config/env';
import { BackupFileError } from '../backup/backup-format';
import { CliError, OpenedStore, openConfiguredStore, StoreAccess } from './open-store';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
}

export type CliCommand = (args: string[], open: (access: StoreAccess) => Promise<OpenedStore>, io: CliIo) => Promise<void>;

/**
 * Runs an admin command against the configured store (.env and the environment, as the server
 * reads them); returns the exit code. Problems the operator can fix are printed as one message.
 */
export async function runCli(command: CliCommand, args: string[], io: CliIo, env?: Env): Promise<number> {
  let opened: OpenedStore | undefined;
  try {
    if (!env) loadDotEnv();
    const config = env ?? parseEnv(process.env);
    await command(args, async (access) => (opened = await openConfiguredStore(config, access)), io);
    // Inside the try: for the embedded store, closing is what makes a restore durable.
    const done = opened as OpenedStore | undefined;
    opened = undefined;
    await done?.close();
    return 0;
  } catch (error) {
    const known = error instanceof CliError || error instanceof EnvError || error instanceof BackupFileError;
    io.stderr.write(`${known ? (error as Error).message : (error as Error).stack}\n`);
    return 1;
  } finally {
    await (opened as OpenedStore | undefined)?.close().catch(() => undefined);
  }
}

/** `--name value` from the arguments, or undefined. */
export function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined || value.startsWith('--')) throw new CliError(`${name} needs a value`);
  return value;
}
