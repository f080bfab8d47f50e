import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { writeBackup } from '../backup/backup';
import { CliError } from './open-store';
import { CliCommand, option, runCli } from './run-cli';

const USAGE = `Usage: npm run backup -- --out FILE

  Writes every identity, session, message and token of the store the server is configured with
  (REDIS_URL, REDIS_KEY_PREFIX; without REDIS_URL the embedded store's DATA_DIR, read from its
  files) to FILE, while the server keeps running. Restore it with npm run restore -- FILE.`;

export const backupCommand: CliCommand = async (args, open, io) => {
  const file = option(args, '--out');
  if (!file || args.includes('--help')) throw new CliError(USAGE);
  const { store, prefix, description, notes } = await open('read');
  for (const note of notes) io.stderr.write(`Note: ${note}\n`);
  // Written beside FILE and renamed when complete, so FILE is never a cut-short backup.
  const partial = `${file}.partial`;
  // Every conversation is in it: readable by its owner only.
  const out = createWriteStream(partial, { mode: 0o600 });
  try {
    await new Promise<void>((resolve, reject) => out.once('open', () => resolve()).once('error', reject)).catch((error: Error) => {
      throw new CliError(`Cannot write ${partial}: ${error.message}`);
    });
    const summary = await writeBackup(store, prefix, out);
    out.end();
    await finished(out);
    await rename(partial, file);
    const skipped = Object.entries(summary.unsupported).map(([type, n]) => `${n} ${type}`);
    io.stdout.write(
      `Backed up ${summary.keys} keys in ${summary.groups} groups from ${description}, prefix "${prefix}", to ${file}.\n` +
        (skipped.length ? `Left out keys of types a backup does not hold: ${skipped.join(', ')}.\n` : ''),
    );
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    throw error;
  }
};

if (require.main === module) {
  void runCli(backupCommand, process.argv.slice(2), process).then((code) => (process.exitCode = code));
}
