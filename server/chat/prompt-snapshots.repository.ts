import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { RedisKeys } from '../redis/redis-keys';
import type { Store } from '../redis/store';

/** Prompts are few (one per persona and edit of the persona file): small caches. */
const CACHE_SIZE = 256;

/** `sp_` + 18 bytes of the text's SHA-256, base64url: one id per distinct prompt text. */
export function systemPromptId(text: string): string {
  return `sp_${createHash('sha256').update(text, 'utf8').digest().subarray(0, 18).toString('base64url')}`;
}

/**
 * The system prompts answers were written with, by id (content-addressed, global, no TTL: a few KB
 * per persona version). Each answer stores only the id; the text is written once per text and
 * process (SET NX), not once per answer.
 */
@Injectable()
export class PromptSnapshotsRepository {
  private readonly logger = new Logger(PromptSnapshotsRepository.name);
  private readonly ids = new LRUCache<string, string>({ max: CACHE_SIZE });
  private readonly saved = new LRUCache<string, true>({ max: CACHE_SIZE });

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Store,
    private readonly keys: RedisKeys,
  ) {}

  /** The prompt's id; its text is saved in the background the first time this process sees it. */
  remember(text: string): string {
    let id = this.ids.get(text);
    if (id === undefined) this.ids.set(text, (id = systemPromptId(text)));
    if (!this.saved.has(id)) {
      const promptId = id;
      this.redis.set(this.keys.promptSnapshot(promptId), text, 'NX').then(
        () => this.saved.set(promptId, true),
        (error: Error) => this.logger.warn(`Could not save the system prompt ${promptId} (${error.message}); will try again with the next answer`),
      );
    }
    return id;
  }

  /** The text saved under this id, or null. */
  find(id: string): Promise<string | null> {
    return this.redis.get(this.keys.promptSnapshot(id));
  }
}
