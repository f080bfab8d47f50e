import { INestApplication, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { GenerationsService } from './chat/generations.service';
import { SseConnectionsService } from './events/sse-connections.service';

/** What the last step (closing connections, Redis) may take after the answers are stopped. */
const CLOSE_BUDGET_MS = 1_500;
/** Lets the last events of stopped answers reach their streams before those are ended. */
const LAST_EVENTS_MS = 150;

/**
 * Bounded graceful shutdown on SIGTERM/SIGINT: stop accepting, let running answers go on for the
 * grace period, stop the rest (each stores its partial text as interrupted and releases its lock),
 * tell clients on open event streams to reconnect elsewhere, close, exit within grace + 2 s.
 */
export function installGracefulShutdown(app: INestApplication, graceSeconds: number): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const graceMs = graceSeconds * 1000;
    // Whatever happens below, the process is gone within grace + 2 s.
    setTimeout(() => {
      logger.error('Shutdown took too long; exiting now');
      process.exit(1);
    }, graceMs + 1_900);
    logger.log(`${signal}: no new connections; running answers get ${graceSeconds} s`);
    void shutdown(app, graceMs).then(
      () => process.exit(0),
      (error: Error) => {
        logger.error(`Shutdown failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

async function shutdown(app: INestApplication, graceMs: number): Promise<void> {
  const server = app.getHttpServer() as Server;
  server.close();
  server.closeIdleConnections();
  const generations = app.get(GenerationsService, { strict: false });
  generations.refuseNew();
  await generations.drain(graceMs);
  await sleep(LAST_EVENTS_MS);
  app.get(SseConnectionsService, { strict: false }).interruptAll('This server is shutting down; reconnect to continue.');
  server.closeIdleConnections();
  await Promise.race([app.close().catch(() => undefined), sleep(CLOSE_BUDGET_MS)]);
}
