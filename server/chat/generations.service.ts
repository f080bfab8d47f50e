import { ConflictException, Injectable, ServiceUnavailableException, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { GenerationLogRepository } from './generation-log.repository';
import { GenerationRepository } from './generation.repository';
import { randomId } from './message-id';

/** A lock outlives its owner (crashed, cut off) by at most this; the running generation renews it. */
export const LOCK_TTL_MS = 6_000;
const LOCK_RENEW_MS = 2_000;
/** An instance counts as gone once it has not said it is alive for this long. */
const INSTANCE_TTL_MS = 4_000;
const INSTANCE_RENEW_MS = 1_000;
/** How long POST /stop waits for the stopped answer to be stored before it returns. */
const STOP_WAIT_MS = 5_000;
/** After the grace period, how long stopped answers get to store their partial text. */
const SHUTDOWN_STORE_WAIT_MS = 1_500;

export const GENERATION_RUNNING =
  'A reply is already being generated in this session; wait for it or stop it (POST /api/sessions/{id}/stop).';

/** One generation running on this instance. `signal` aborts on stop, a lost lock or shutdown. */
export class Generation {
  private readonly controller = new AbortController();
  private finish!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.finish = resolve));
  renewTimer?: NodeJS.Timeout;
  ended = false;
  /** Why it was aborted, when it was. */
  abortReason?: 'stop' | 'lock-lost' | 'shutdown';

  constructor(
    readonly userId: string,
    readonly sessionId: string,
    readonly token: string,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: Generation['abortReason'] = 'stop'): void {
    this.abortReason ??= reason;
    this.controller.abort();
  }

  markFinished(): void {
    this.finish();
  }
}

/**
 * One generation per session at a time, across all instances, owned by the server (not by the HTTP
 * request that started it): a Redis lock with a short expiry renewed while the answer runs, released
 * by compare-and-delete, so a crashed owner or a Redis restart frees the session within seconds.
 * Stop works from any instance (pub/sub to the owner); when the owner is gone, Stop clears its lock.
 */
@Injectable()
export class GenerationsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(GenerationsService.name);
  private readonly running = new Map<string, Generation>();
  readonly instanceId = randomId(12);
  private aliveTimer?: NodeJS.Timeout;
  private refusing = false;

  constructor(
    private readonly repository: GenerationRepository,
    private readonly log: GenerationLogRepository,
  ) {}

  onModuleInit(): void {
    this.repository
      .onStop((userId, sessionId) => this.running.get(keyOf(userId, sessionId))?.abort('stop'))
      .catch((error: Error) => this.logger.error(`Cannot listen for stop requests: ${error.message}`));
    const beat = () => this.repository.markAlive(this.instanceId, INSTANCE_TTL_MS).catch(() => undefined);
    void beat();
    this.aliveTimer = setInterval(beat, INSTANCE_RENEW_MS);
    this.aliveTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.aliveTimer);
    await this.repository.markGone(this.instanceId).catch(() => undefined);
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Shutdown: new answers are refused (503) from now on; running ones go on. */
  refuseNew(): void {
    this.refusing = true;
  }

  /** Takes the session's lock, or 409 when a generation already runs there (on any instance). */
  async begin(userId: string, sessionId: string): Promise<Generation> {
    if (this.refusing) throw new ServiceUnavailableException('This server is shutting down; send the message again (another instance will answer).');
    const generation = new Generation(userId, sessionId, `${this.instanceId}:${randomId(12)}`);
    if (!(await this.repository.acquire(userId, sessionId, generation.token, LOCK_TTL_MS))) {
      throw new ConflictException(GENERATION_RUNNING);
    }
    this.running.set(keyOf(userId, sessionId), generation);
    generation.renewTimer = setInterval(() => void this.renew(generation), LOCK_RENEW_MS);
    generation.renewTimer.unref();
    return generation;
  }

  /** Releases the lock (once; later calls do nothing), retrying briefly while the store is away. */
  async end(generation: Generation): Promise<void> {
    if (generation.ended) return;
    generation.ended = true;
    clearInterval(generation.renewTimer);
    const key = keyOf(generation.userId, generation.sessionId);
    if (this.running.get(key) === generation) this.running.delete(key);
    try {
      for (let attempt = 0, wait = 100; ; attempt++, wait *= 2) {
        try {
          await this.repository.release(generation.userId, generation.sessionId, generation.token);
          return;
        } catch (error) {
          // The lock expires by itself within LOCK_TTL_MS; retrying only frees the session sooner.
          if (attempt >= 3) {
            this.logger.warn(`Could not release the generation lock of ${generation.sessionId}: ${(error as Error).message}`);
            return;
          }
          await sleep(wait);
        }
      }
    } finally {
      generation.markFinished();
    }
  }

  /** True while a generation holds the session's lock (on any instance). */
  async isRunning(userId: string, sessionId: string): Promise<boolean> {
    return (await this.repository.holder(userId, sessionId)) !== null;
  }

  /**
   * Stops the session's running generation, wherever it runs, and waits (briefly) until its partial
   * answer is stored and the session takes messages again. False when nothing was running.
   */
  async stop(userId: string, sessionId: string): Promise<boolean> {
    const local = this.running.get(keyOf(userId, sessionId));
    if (local) {
      local.abort('stop');
      await Promise.race([local.finished, sleep(STOP_WAIT_MS, undefined, { ref: false })]);
      return true;
    }
    const holder = await this.repository.holder(userId, sessionId);
    if (holder === null) return false;
    if (!(await this.ownerAlive(holder))) return this.clearAbandoned(userId, sessionId, holder);
    await this.repository.publishStop(userId, sessionId);
    const deadline = Date.now() + STOP_WAIT_MS;
    while (Date.now() < deadline) {
      await sleep(25);
      const now = await this.repository.holder(userId, sessionId);
      if (now !== holder) return true;
      if (!(await this.ownerAlive(holder))) return this.clearAbandoned(userId, sessionId, holder);
    }
    return true;
  }

  /**
   * Shutdown: lets running answers go on for `graceMs`, then stops the rest (each stores its partial
   * answer as interrupted and releases its lock) and waits briefly for that.
   */
  async drain(graceMs: number): Promise<void> {
    const all = () => Promise.all([...this.running.values()].map((g) => g.finished));
    if (this.running.size === 0) return;
    this.logger.log(`Shutting down: letting ${this.running.size} answer(s) finish for up to ${graceMs} ms`);
    await Promise.race([all(), sleep(graceMs, undefined, { ref: false })]);
    if (this.running.size === 0) return;
    this.logger.warn(`Stopping ${this.running.size} answer(s) still running; their partial text is stored as interrupted`);
    for (const generation of this.running.values()) generation.abort('shutdown');
    await Promise.race([all(), sleep(SHUTDOWN_STORE_WAIT_MS, undefined, { ref: false })]);
  }

  private async ownerAlive(holder: string): Promise<boolean> {
    const instance = holder.split(':')[0];
    // This instance's own lock without a local generation is a leftover: nobody renews it.
    return instance === this.instanceId ? false : this.repository.isAlive(instance);
  }

  /** The owner is gone: free the session at once and end the stream for anyone following it. */
  private async clearAbandoned(userId: string, sessionId: string, holder: string): Promise<boolean> {
    this.logger.warn(`Session ${sessionId}: the instance running its answer is gone; clearing its lock`);
    await this.repository.release(userId, sessionId, holder);
    // Should the owner only have stalled, it stops too when it wakes (and does not take the lock back).
    await this.repository.publishStop(userId, sessionId).catch(() => undefined);
    const data = {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'The server generating this answer went away; the answer was stopped. Regenerate to try again.',
      message_id: null,
    };
    await this.log.append(userId, sessionId, [['*', 'error', JSON.stringify(data)]], true).catch(() => undefined);
    return true;
  }

  private async renew(generation: Generation): Promise<void> {
    try {
      if (await this.repository.renew(generation.userId, generation.sessionId, generation.token, LOCK_TTL_MS)) return;
      this.logger.warn(`Generation lock of session ${generation.sessionId} is held by another; stopping this generation`);
      generation.abort('lock-lost');
    } catch (error) {
      // Redis briefly away: keep going; the renewal takes the lock again if it expired meanwhile.
      this.logger.warn(`Could not renew the generation lock of ${generation.sessionId}: ${(error as Error).message}`);
    }
  }
}

function keyOf(userId: string, sessionId: string): string {
  return `${userId}\n${sessionId}`;
}
