import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { EnvError, parseEnv } from './config/env';

async function main(): Promise<void> {
  let env;
  try {
    env = parseEnv(process.env);
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`nono-chat cannot start. ${error.message}\nSee config/.env.example for every setting.\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp();
  await app.listen(env.port, env.host);
  new Logger('nono-chat').log(`Listening on http://${env.host === '0.0.0.0' ? 'localhost' : env.host}:${env.port} (API docs at /api/docs)`);
}

main().catch((error: Error) => {
  process.stderr.write(`nono-chat cannot start: ${error.message}\n`);
  process.exit(1);
});
