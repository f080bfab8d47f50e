import { Test } from '@nestjs/testing';
import { ConfigService } from '@nestjs/config';
import { appConfig, configModule, ENV, llmConfig, redisConfig, redisTopology, sessionsConfig, sessionsSettings } from './config';
import { parseEnv } from './env';

const configOf = (raw: Record<string, string>) => Test.createTestingModule({ imports: [configModule(parseEnv(raw))] }).compile();

describe('configuration of one app', () => {
  it('provides the parsed environment and every namespace derived from it', async () => {
    const ref = await configOf({ PORT: '9100', REDIS_KEY_PREFIX: 'one', SESSION_TTL_SECONDS: '600', OPENAI_MODEL: 'm1' });
    expect(ref.get(ENV)).toMatchObject({ port: 9100, redisKeyPrefix: 'one', sessionTtlSeconds: 600 });
    expect(ref.get(appConfig.KEY)).toMatchObject({ port: 9100 });
    expect(ref.get(redisConfig.KEY)).toEqual({
      url: undefined,
      keyPrefix: 'one',
      clusterNodes: undefined,
      sentinels: undefined,
      sentinelName: undefined,
      username: undefined,
      password: undefined,
      tls: false,
      dataDir: './data',
    });
    expect(ref.get(sessionsConfig.KEY)).toEqual({ ttlSeconds: 600, readRenewIntervalMs: 6000 });
    expect(ref.get(llmConfig.KEY)).toMatchObject({ model: 'm1' });
    expect(ref.get(ConfigService).get('app.port')).toBe(9100);
  });

  it('keeps each app to its own settings, whatever process.env holds later', async () => {
    const saved = process.env.PORT;
    process.env.PORT = '7777';
    try {
      const [a, b] = await Promise.all([configOf({ PORT: '9101' }), configOf({ PORT: '9102' })]);
      expect(a.get(appConfig.KEY).port).toBe(9101);
      expect(b.get(appConfig.KEY).port).toBe(9102);
      expect(a.get(ConfigService).get('PORT')).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });
});

describe('session timing', () => {
  it('renews on read at most every 1% of the TTL, and at least once a minute', () => {
    expect(sessionsSettings(3600).readRenewIntervalMs).toBe(36_000);
    expect(sessionsSettings(86_400).readRenewIntervalMs).toBe(60_000);
    expect(sessionsSettings(0).readRenewIntervalMs).toBe(0);
  });

  it('names how Redis is reached from the variables that are set', () => {
    const topology = (raw: Record<string, string>) => redisTopology(redisConfig(parseEnv(raw)));
    expect(topology({})).toBe('embedded');
    expect(topology({ REDIS_URL: 'redis://r:6379' })).toBe('single');
    expect(topology({ REDIS_CLUSTER_NODES: 'a:7000,b:7000' })).toBe('cluster');
    expect(topology({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'mymaster' })).toBe('sentinel');
  });
});
