/** Injection token of the store (a Store: ioredis or the embedded store). Only repositories inject it. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** The embedded store's files (null with REDIS_URL or an empty DATA_DIR). */
export const EMBEDDED_PERSISTENCE = Symbol('EMBEDDED_PERSISTENCE');
