import type Redis from 'ioredis';
import type { MemoryRedis } from './memory-redis';

/** Injection token of the store client. Only repositories inject it. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/**
 * What repositories may use: ioredis' API. The embedded store implements the same calls, so the
 * type is ioredis' own; repositories never branch on which one they got.
 */
export type RedisClient = Redis;
export type StoreClient = Redis | MemoryRedis;
