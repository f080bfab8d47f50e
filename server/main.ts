import { loadDotEnv } from './config/dotenv';
import { Env, EnvError, parseEnv } from './config/env';

function fail(message: string): never {
  process.stderr.write(`nono-chat cannot start. ${message}\n`);
  process.exit(1);
}

function readEnv(): { env: Env; dotEnv?: string } {
  try {
    const dotEnv = loadDotEnv();
    return { env: parseEnv(process.env), dotEnv };
  } catch (error) {
    if (error instanceof EnvError) fail(`${error.message}\nSee config/.env.example for every setting.`);
    fail(`Cannot read .env: ${(error as Error).message}`);
  }
}

function publicUrl(env: Env, port: number): string {
  const host = env.host === '0.0.0.0' || env.host === '::' ? 'localhost' : env.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

async function main(): Promise<void> {
  const { env, dotEnv } = readEnv();
  // Loaded only after the environment is valid, so a configuration mistake is reported at once.
  const { Logger } = await import('@nestjs/common');
  const { createApp } = await import('./app.factory');
  const app = await createApp([], env);
  const logger = new Logger('nono-chat');
  if (dotEnv) logger.log(`Read settings from ${dotEnv} (variables set in the environment take precedence)`);
  try {
    await app.listen(env.port, env.host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') fail(`Port ${env.port} on ${env.host} is already in use. Set PORT to a free port.`);
    if (code === 'EADDRNOTAVAIL') fail(`HOST=${env.host} is not an address of this machine. Set HOST (e.g. 0.0.0.0).`);
    throw error;
  }
  const { installGracefulShutdown } = await import('./shutdown');
  installGracefulShutdown(app, env.shutdownGraceSeconds);
  const { port } = app.getHttpServer().address() as { port: number };
  logger.log(`Listening on ${publicUrl(env, port)} (API docs at /api/docs)`);
}

main().catch((error: Error) => fail(error.message));
