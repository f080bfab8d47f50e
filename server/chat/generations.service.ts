import { ConflictException, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { GenerationRepository } from './generation.repository';
import { randomId } from './message-id';

/** The lock outlives a stalled process by this much at most; a running generation renews it. */
const LOCK_TTL_MS = 30_000;
const LOCK_RENEW_MS = 10_000;
/** How long POST /stop waits for the stopped answer to be stored before it returns. */
const STOP_WAIT_MS = 5_000;

export const GENERATION_RUNNING =
  'A reply is already being generated in this session; wait for it or stop it (POST /api/sessions/{id}/stop).';

/** One running generation on this instance. `signal` aborts on stop, disconnect or a lost lock. */
export class Generation {
  private readonly controller = new AbortController();
  private finish!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.finish = resolve));
  renewTimer?: NodeJS.Timeout;
  ended = false;

  constructor(
    readonly userId: string,
    readonly sessionId: string,
    readonly token: string,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(): void {
    this.controller.abort();
  }

  markFinished(): void {
    this.finish();
  }
}

/**
 * One generation per session at a time, across all instances (a Redis lock), and stop from any
 * instance (pub/sub to whichever instance runs it). Lock and stop state never live in process memory
 * alone; this instance only keeps the AbortControllers of the generations it runs itself.
 */
@Injectable()
export class GenerationsService implements OnModuleInit {
  private readonly logger = new Logger(GenerationsService.name);
  private readonly running = new Map<string, Generation>();

  constructor(private readonly repository: GenerationRepository) {}

  onModuleInit(): void {
    this.repository
      .onStop((userId, sessionId) => this.running.get(keyOf(userId, sessionId))?.abort())
      .catch((error: Error) => this.logger.error(`Cannot listen for stop requests: ${error.message}`));
  }

  /** Takes the session's lock, or 409 when a generation already runs there (on any instance). */
  async begin(userId: string, sessionId: string): Promise<Generation> {
    const generation = new Generation(userId, sessionId, randomId(16));
    if (!(await this.repository.acquire(userId, sessionId, generation.token, LOCK_TTL_MS))) {
      throw new ConflictException(GENERATION_RUNNING);
    }
    this.running.set(keyOf(userId, sessionId), generation);
    generation.renewTimer = setInterval(() => void this.renew(generation), LOCK_RENEW_MS);
    generation.renewTimer.unref();
    return generation;
  }

  /** Releases the lock (once; later calls do nothing). */
  async end(generation: Generation): Promise<void> {
    if (generation.ended) return;
    generation.ended = true;
    clearInterval(generation.renewTimer);
    const key = keyOf(generation.userId, generation.sessionId);
    if (this.running.get(key) === generation) this.running.delete(key);
    try {
      await this.repository.release(generation.userId, generation.sessionId, generation.token);
    } catch (error) {
      // The lock expires by itself; a failed release only delays the next message briefly.
      this.logger.warn(`Could not release the generation lock of ${generation.sessionId}: ${(error as Error).message}`);
    } finally {
      generation.markFinished();
    }
  }

  /**
   * Stops the session's running generation, wherever it runs, and waits (briefly) until its partial
   * answer is stored. False when nothing was running.
   */
  async stop(userId: string, sessionId: string): Promise<boolean> {
    const local = this.running.get(keyOf(userId, sessionId));
    if (local) {
      local.abort();
      await Promise.race([local.finished, sleep(STOP_WAIT_MS, undefined, { ref: false })]);
      return true;
    }
    if (!(await this.repository.isLocked(userId, sessionId))) return false;
    await this.repository.publishStop(userId, sessionId);
    const deadline = Date.now() + STOP_WAIT_MS;
    while (Date.now() < deadline && (await this.repository.isLocked(userId, sessionId))) await sleep(20);
    return true;
  }

  private async renew(generation: Generation): Promise<void> {
    try {
      if (await this.repository.refresh(generation.userId, generation.sessionId, generation.token, LOCK_TTL_MS)) return;
      this.logger.warn(`Generation lock of session ${generation.sessionId} was lost; stopping its generation`);
      generation.abort();
    } catch (error) {
      // Redis briefly away: keep going, the next renewal tries again before the lock expires.
      this.logger.warn(`Could not renew the generation lock of ${generation.sessionId}: ${(error as Error).message}`);
    }
  }
}

function keyOf(userId: string, sessionId: string): string {
  return `${userId}\n${sessionId}`;
}
