import { ConflictException } from '@nestjs/common';
import Redis from 'ioredis';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { loadDotEnv } from '../config/dotenv';
import { Env, EnvError, parseEnv } from '../config/env';
import { addAccount } from '../identity/account.service';
import { IdentityRepository } from '../identity/identity.repository';
import { passwordProblem, usernameProblem } from '../identity/passwords';
import type { Store } from '../redis/store';
import { RedisKeys } from '../redis/redis-keys';

const USAGE = `Usage: npm run users -- add NAME [--password-stdin]

  add NAME            Adds an account NAME to the store REDIS_URL points at (whatever REGISTRATION says).
                      Asks for the password, or reads it from standard input when that is not a terminal.
  --password-stdin    Read the password from standard input (its first line), e.g.
                      printf '%s\\n' "$PASSWORD" | npm run users -- add alice --password-stdin
`;

class CliError extends Error {}

/** The password: from standard input's first line, or typed twice at a terminal without echo. */
async function readPassword(stdin: Readable & { isTTY?: boolean }, stderr: Writable, fromStdin: boolean): Promise<string> {
  if (fromStdin || !stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) text += String(chunk);
    return text.split(/\r?\n/)[0];
  }
  const ask = (prompt: string) =>
    new Promise<string>((resolve) => {
      const rl = createInterface({ input: stdin, output: stderr, terminal: true });
      // Echo nothing of what is typed.
      (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s) => s.startsWith(prompt) && stderr.write(prompt);
      rl.question(prompt, (answer) => {
        rl.close();
        stderr.write('\n');
        resolve(answer);
      });
    });
  const first = await ask('Password: ');
  if ((await ask('Repeat the password: ')) !== first) throw new CliError('The passwords differ; nothing was added.');
  return first;
}

function storeOf(env: Env): Redis {
  if (!env.redisUrl) {
    throw new CliError(
      'REDIS_URL is not set: the embedded store lives inside the running server, so accounts cannot be added from ' +
        'outside it. Set REDIS_URL to the server\'s Redis, or let people register (AUTH_MODE=accounts, REGISTRATION=open).',
    );
  }
  return new Redis(env.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 3000, lazyConnect: true });
}

async function addUser(args: string[], io: { stdin: Readable; stdout: Writable; stderr: Writable }, env: Env): Promise<void> {
  const name = args.find((a) => !a.startsWith('--'));
  if (!name) throw new CliError(USAGE);
  const problem = usernameProblem(name);
  if (problem) throw new CliError(`${problem} (got "${name}")`);
  const password = await readPassword(io.stdin, io.stderr, args.includes('--password-stdin'));
  const bad = passwordProblem(password);
  if (bad) throw new CliError(bad);
  const redis = storeOf(env);
  redis.on('error', () => undefined);
  try {
    await redis.connect().catch((error: Error) => {
      throw new CliError(`Cannot reach Redis at REDIS_URL: ${error.message}`);
    });
    const identities = new IdentityRepository(redis as Store, new RedisKeys({ url: env.redisUrl, keyPrefix: env.redisKeyPrefix }));
    const userId = await addAccount(identities, name, password);
    io.stdout.write(`Added user "${name}" (${userId}).\n`);
    if (env.authMode !== 'accounts') io.stdout.write(`Note: AUTH_MODE=${env.authMode}; they can sign in once AUTH_MODE=accounts.\n`);
  } catch (error) {
    if (error instanceof ConflictException) throw new CliError(error.message);
    throw error;
  } finally {
    redis.disconnect();
  }
}

/** `npm run users -- add NAME`: exit code 0 when done, 1 with a reason on standard error. */
export async function runUsersCommand(
  argv: string[],
  io: { stdin: Readable; stdout: Writable; stderr: Writable } = process,
): Promise<number> {
  try {
    loadDotEnv();
    const env = parseEnv(process.env);
    const [command, ...rest] = argv;
    if (command === 'add') await addUser(rest, io, env);
    else throw new CliError(USAGE);
    return 0;
  } catch (error) {
    const message = error instanceof CliError || error instanceof EnvError ? error.message : `Failed: ${(error as Error).message}`;
    io.stderr.write(`${message.trimEnd()}\n`);
    return 1;
  }
}

if (require.main === module) {
  void runUsersCommand(process.argv.slice(2)).then((code) => process.exit(code));
}
