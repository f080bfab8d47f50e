import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../server/app.factory';
import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from './redis';

export interface TestApp {
  app: NestExpressApplication;
  /** http://127.0.0.1:<port> of the listening app (real HTTP, for supertest and SSE). */
  url: string;
  prefix: string;
  close(): Promise<void>;
}

/**
 * Boots the real app on a free port against the real Redis under a fresh key prefix. `env` overrides
 * variables for this app only (`undefined` removes one, e.g. `{ REDIS_URL: undefined }` for the
 * embedded store). `modules` mounts extra modules (e.g. probe routes). Keys are deleted and the
 * environment restored on close.
 */
export async function startTestApp(
  env: Record<string, string | undefined> = {},
  modules: Array<Type<unknown> | DynamicModule> = [],
): Promise<TestApp> {
  const prefix = uniquePrefix();
  const settings: Record<string, string | undefined> = {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    // Apps on the embedded store keep it in memory, never in the repository's ./data.
    DATA_DIR: '',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    OPENAI_API_KEY: undefined,
    OPENAI_BASE_URL: undefined,
    OPENAI_MODEL: undefined,
    // No title requests after first answers, so the fake model's request log holds only answers;
    // test/session-titles.e2e-spec.ts turns them on.
    TITLE_MODEL: 'off',
    // Tests create identities and sessions far faster than people do; test/limits-* turn limits on.
    RATE_LIMIT_GUEST_PER_MINUTE: '0',
    RATE_LIMIT_LOGIN_PER_MINUTE: '0',
    RATE_LIMIT_MESSAGES_PER_MINUTE: '0',
    RATE_LIMIT_SESSIONS_PER_MINUTE: '0',
    ...env,
  };
  const saved: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(settings)) {
    saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  const restore = () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  let app: NestExpressApplication;
  try {
    app = await createApp(modules);
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    restore();
    throw error;
  }
  const { port } = app.getHttpServer().address() as AddressInfo;
  const usesRedis = settings.REDIS_URL !== undefined;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    prefix: settings.REDIS_KEY_PREFIX ?? prefix,
    async close() {
      await app.close();
      if (usesRedis) await deleteKeysWithPrefix(settings.REDIS_KEY_PREFIX ?? prefix, settings.REDIS_URL).catch(() => 0);
      restore();
    },
  };
}
