/** Injection token of the store (a Store: ioredis or the embedded store). Only repositories inject it. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
