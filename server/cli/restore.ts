import { access } from 'node:fs/promises';
import { restoreBackup } from '../backup/restore';
import { CliError } from './open-store';
import { CliCommand, runCli } from './run-cli';

const USAGE = `Usage: npm run restore -- FILE

  Loads a file written by npm run backup into the store the server is configured with (REDIS_URL,
  REDIS_KEY_PREFIX; without REDIS_URL the embedded store's DATA_DIR, with the server stopped). The
  whole file is checked first; each identity's keys are then replaced in one step, so restoring the
  same file again changes nothing. Keys whose TTL ran out are skipped.`;

export const restoreCommand: CliCommand = async (args, open, io) => {
  const file = args.find((a) => !a.startsWith('--'));
  if (!file || args.includes('--help')) throw new CliError(USAGE);
  await access(file).catch(() => {
    throw new CliError(`Cannot read ${file}: no such file, or not readable.`);
  });
  const { store, prefix, description, notes } = await open('write');
  for (const note of notes) io.stderr.write(`Note: ${note}\n`);
  const summary = await restoreBackup(store, prefix, file);
  io.stdout.write(
    `Restored ${summary.keys} keys in ${summary.groups} groups into ${description}, prefix "${prefix}" ` +
      `(backup of prefix "${summary.header.prefix}" taken ${new Date(summary.header.created_at).toISOString()})` +
      (summary.expired ? `; ${summary.expired} keys had expired since and were skipped` : '') +
      '.\n',
  );
};

if (require.main === module) {
  void runCli(restoreCommand, process.argv.slice(2), process).then((code) => (process.exitCode = code));
}
