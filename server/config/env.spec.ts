import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDotEnv } from './dotenv';
import { EnvError, parseEnv } from './env';

function problemsOf(raw: Record<string, string>): string[] {
  try {
    parseEnv(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return (error as EnvError).problems;
  }
  throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
}

describe('parseEnv', () => {
  it('gives the documented defaults for an empty environment', () => {
    expect(parseEnv({})).toEqual({
      port: 8000,
      host: '0.0.0.0',
      logLevel: 'info',
      logFormat: 'auto',
      bodyLimitBytes: 524288,
      importMaxBytes: 1073741824,
      shutdownGraceSeconds: 8,
      redisUrl: undefined,
      redisClusterNodes: undefined,
      redisSentinels: undefined,
      redisSentinelName: undefined,
      redisUsername: undefined,
      redisPassword: undefined,
      redisTls: false,
      redisKeyPrefix: 'nono',
      dataDir: './data',
      sessionTtlSeconds: 3600,
      personasFile: 'config/personas.yaml',
      openaiApiKey: undefined,
      openaiBaseUrl: undefined,
      openaiModel: undefined,
      contextTokenBudget: 8000,
      llmConnectTimeoutMs: 10000,
      llmFirstTokenTimeoutMs: 60000,
      llmIdleTimeoutMs: 30000,
      llmTotalTimeoutMs: 300000,
      clientDir: undefined,
      trustProxy: false,
      rateLimitWindowSeconds: 60,
      rateLimitGuestPerMinute: 10,
      rateLimitLoginPerMinute: 10,
      rateLimitMessagesPerMinute: 20,
      rateLimitSessionsPerMinute: 30,
      rateLimitSearchPerMinute: 120,
      maxSessionsPerIdentity: 10000,
      maxMessagesPerSession: 10000,
      dailyTokenQuota: 0,
      authMode: 'guest',
      allowGuests: false,
      registration: 'open',
      tokenTtlSeconds: 2592000,
      guestTtlSeconds: 2592000,
      proxyUserHeader: 'x-forwarded-user',
      trustedProxies: [],
      oidcIssuerUrl: undefined,
      oidcClientId: undefined,
      oidcClientSecret: undefined,
      oidcRedirectUrl: undefined,
    });
  });

  it('reads TRUST_PROXY as a hop count or a list of proxy addresses, and rejects anything else', () => {
    expect(parseEnv({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(parseEnv({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(parseEnv({ TRUST_PROXY: '10.0.0.0/8, loopback,::1' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback', '::1']);
    expect(problemsOf({ TRUST_PROXY: 'true' })[0]).toMatch(/^TRUST_PROXY="true" is not a proxy hop count/);
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/40' })[0]).toMatch(/^TRUST_PROXY=/);
  });

  it('reads DATA_DIR: unset is ./data, a path is kept, empty means in memory only', () => {
    expect(parseEnv({ DATA_DIR: '/var/lib/nono' }).dataDir).toBe('/var/lib/nono');
    expect(parseEnv({ DATA_DIR: '' }).dataDir).toBeUndefined();
    expect(parseEnv({ DATA_DIR: '  ' }).dataDir).toBeUndefined();
  });

  it('rejects a negative limit and accepts 0 (off)', () => {
    expect(problemsOf({ RATE_LIMIT_MESSAGES_PER_MINUTE: '-1' })).toEqual([
      'RATE_LIMIT_MESSAGES_PER_MINUTE=-1 is out of range: it must be between 0 and 1000000',
    ]);
    expect(parseEnv({ MAX_SESSIONS_PER_IDENTITY: '0' }).maxSessionsPerIdentity).toBe(0);
  });

  it('reads every variable that is set, and treats blank values as unset', () => {
    const env = parseEnv({
      PORT: '9001',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'DEBUG',
      LOG_FORMAT: 'json',
      REDIS_URL: 'redis://:pw@redis:6379/2',
      REDIS_KEY_PREFIX: 'chat.prod',
      SESSION_TTL_SECONDS: '0',
      PERSONAS_FILE: '/etc/nono/personas.yaml',
      OPENAI_API_KEY: ' sk-test ',
      OPENAI_BASE_URL: 'http://localhost:11434/v1',
      OPENAI_MODEL: 'llama3.1',
      BODY_LIMIT_BYTES: '   ',
    });
    expect(env).toMatchObject({
      port: 9001,
      host: '127.0.0.1',
      logLevel: 'debug',
      logFormat: 'json',
      redisUrl: 'redis://:pw@redis:6379/2',
      redisKeyPrefix: 'chat.prod',
      sessionTtlSeconds: 0,
      personasFile: '/etc/nono/personas.yaml',
      openaiApiKey: 'sk-test',
      openaiBaseUrl: 'http://localhost:11434/v1',
      openaiModel: 'llama3.1',
      bodyLimitBytes: 524288,
      importMaxBytes: 1073741824,
    });
  });

  it.each([
    ['PORT', 'abc', /^PORT="abc" is not a whole number$/],
    ['PORT', '70000', /^PORT=70000 is out of range/],
    ['PORT', '80.5', /^PORT="80.5" is not a whole number$/],
    ['SESSION_TTL_SECONDS', '-5', /^SESSION_TTL_SECONDS=-5 is out of range: it must be between 0 and/],
    ['REDIS_URL', 'not a url', /^REDIS_URL="not a url" is not a valid URL/],
    ['REDIS_URL', 'localhost:6379', /^REDIS_URL must start with redis:\/\/ or rediss:\/\//],
    ['REDIS_URL', 'http://localhost:6379', /^REDIS_URL must start with redis:\/\/ or rediss:\/\/ \(got http:\/\/\)$/],
    ['REDIS_URL', 'redis://', /^REDIS_URL="redis:\/\/" has no host name$/],
    ['OPENAI_BASE_URL', 'localhost:11434/v1', /^OPENAI_BASE_URL must start with http:\/\/ or https:\/\//],
    ['OPENAI_BASE_URL', 'http//api.example.com', /^OPENAI_BASE_URL="http\/\/api.example.com" is not a valid URL/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL="loud" is not one of fatal, error, warn, info, debug, trace, silent$/],
    ['LOG_FORMAT', 'xml', /^LOG_FORMAT="xml" is not one of auto, json, pretty$/],
    ['HOST', 'http://0.0.0.0', /^HOST="http:\/\/0.0.0.0" is not an IP address or host name/],
    ['HOST', 'my host', /^HOST="my host" is not an IP address or host name/],
    ['REDIS_KEY_PREFIX', 'a b', /^REDIS_KEY_PREFIX="a b" may only hold/],
    ['BODY_LIMIT_BYTES', '10', /^BODY_LIMIT_BYTES=10 is out of range/],
    ['CONTEXT_TOKEN_BUDGET', 'lots', /^CONTEXT_TOKEN_BUDGET="lots" is not a whole number$/],
    ['LLM_IDLE_TIMEOUT_MS', '0', /^LLM_IDLE_TIMEOUT_MS=0 is out of range/],
    ['AUTH_MODE', 'ldap', /^AUTH_MODE="ldap" is not one of guest, accounts, proxy$/],
    ['ALLOW_GUESTS', 'maybe', /^ALLOW_GUESTS="maybe" is not true or false$/],
    ['REGISTRATION', 'invite', /^REGISTRATION="invite" is not one of open, closed$/],
    ['TOKEN_TTL_SECONDS', '-1', /^TOKEN_TTL_SECONDS=-1 is out of range/],
    ['GUEST_TTL_SECONDS', 'month', /^GUEST_TTL_SECONDS="month" is not a whole number$/],
    ['PROXY_USER_HEADER', 'Remote User', /^PROXY_USER_HEADER="Remote User" is not an HTTP header name$/],
    ['TRUSTED_PROXY', '127.0.0.1,proxy.local,10.0.0.0/33', /^TRUSTED_PROXY has "proxy.local", "10.0.0.0\/33": expected IP addresses or CIDR ranges/],
  ])('rejects %s=%j naming the variable and why', (name, value, expected) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(expected);
  });

  it('reads the sign-in settings', () => {
    expect(
      parseEnv({ AUTH_MODE: 'Proxy', TRUSTED_PROXY: '127.0.0.1, 10.0.0.0/8,::1', PROXY_USER_HEADER: 'Remote-User', ALLOW_GUESTS: 'true' }),
    ).toMatchObject({ authMode: 'proxy', trustedProxies: ['127.0.0.1', '10.0.0.0/8', '::1'], proxyUserHeader: 'remote-user', allowGuests: true });
  });

  it('refuses proxy mode without a trusted proxy address', () => {
    expect(problemsOf({ AUTH_MODE: 'proxy' })).toEqual([expect.stringMatching(/^AUTH_MODE=proxy needs TRUSTED_PROXY/)]);
  });

  it('wants the three OpenID Connect settings together', () => {
    expect(problemsOf({ OIDC_ISSUER_URL: 'https://id.example.com' })).toEqual([
      'OpenID Connect needs OIDC_ISSUER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET missing',
    ]);
    expect(parseEnv({ OIDC_ISSUER_URL: 'https://id.example.com', OIDC_CLIENT_ID: 'nono', OIDC_CLIENT_SECRET: 's' })).toMatchObject({
      oidcIssuerUrl: 'https://id.example.com',
      oidcClientId: 'nono',
    });
  });

  it('accepts the usual HOST forms', () => {
    for (const host of ['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost', 'api.internal', 'my-box']) {
      expect(parseEnv({ HOST: host }).host).toBe(host);
    }
    expect(parseEnv({ HOST: '[::1]' }).host).toBe('::1');
  });

  it('reports every bad variable at once, in one readable message', () => {
    const error = (() => {
      try {
        parseEnv({ PORT: 'abc', SESSION_TTL_SECONDS: '-5', LOG_LEVEL: 'loud' });
      } catch (e) {
        return e as EnvError;
      }
    })();
    expect(error?.problems.map((p) => p.split(/[= ]/)[0])).toEqual(['PORT', 'LOG_LEVEL', 'SESSION_TTL_SECONDS']);
    expect(error?.message).toBe(
      'Invalid configuration:\n' +
        '  - PORT="abc" is not a whole number\n' +
        '  - LOG_LEVEL="loud" is not one of fatal, error, warn, info, debug, trace, silent\n' +
        '  - SESSION_TTL_SECONDS=-5 is out of range: it must be between 0 and 315360000',
    );
  });

  it('reads a Cluster node list, Sentinels with their master name, and node credentials', () => {
    const cluster = parseEnv({ REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b:7001,[::1]:7002', REDIS_PASSWORD: 'pw', REDIS_TLS: 'true' });
    expect(cluster.redisClusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect([cluster.redisPassword, cluster.redisTls]).toEqual(['pw', true]);
    const sentinel = parseEnv({ REDIS_SENTINELS: 's1:26379,s2:26379', REDIS_SENTINEL_NAME: 'mymaster', REDIS_USERNAME: 'app' });
    expect(sentinel).toMatchObject({ redisSentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }], redisSentinelName: 'mymaster', redisUsername: 'app' });
  });

  it.each([
    ['REDIS_CLUSTER_NODES', '10.0.0.1', '"10.0.0.1"'],
    ['REDIS_CLUSTER_NODES', 'a:7000,,b:7001', '""'],
    ['REDIS_CLUSTER_NODES', 'a:0', '"a:0"'],
    ['REDIS_CLUSTER_NODES', 'a:70000', '"a:70000"'],
    ['REDIS_SENTINELS', 'redis://s1:26379', '"redis://s1:26379"'],
    ['REDIS_SENTINELS', '::1:26379', '"::1:26379"'],
  ])('rejects %s=%s naming the malformed entry', (name, value, entry) => {
    const problems = problemsOf({ [name]: value, REDIS_SENTINEL_NAME: 'm' }).filter((p) => p.startsWith(name));
    expect(problems).toEqual([expect.stringContaining(`${name} has malformed entries ${entry}: expected host:port pairs`)]);
  });

  it('allows one way to reach Redis, Sentinels only with a master name, and node credentials only for them', () => {
    expect(problemsOf({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'a:7000' })).toEqual([
      'REDIS_URL and REDIS_CLUSTER_NODES are both set: choose one way to reach Redis (a single server, a Cluster or Sentinels)',
    ]);
    expect(problemsOf({ REDIS_SENTINELS: 's:26379' })[0]).toMatch(/^REDIS_SENTINELS is set without REDIS_SENTINEL_NAME/);
    expect(problemsOf({ REDIS_SENTINEL_NAME: 'm' })[0]).toMatch(/^REDIS_SENTINEL_NAME is set without REDIS_SENTINELS/);
    expect(problemsOf({ REDIS_URL: 'redis://r:6379', REDIS_PASSWORD: 'pw' })[0]).toMatch(
      /^REDIS_PASSWORD applies only with REDIS_CLUSTER_NODES or REDIS_SENTINELS; a single Redis takes them in REDIS_URL/,
    );
    expect(problemsOf({ REDIS_CLUSTER_NODES: 'a:7000', REDIS_TLS: 'yes' })).toEqual(['REDIS_TLS="yes" must be true or false']);
  });

  it('never echoes credentials of a rejected URL', () => {
    const [problem] = problemsOf({ REDIS_URL: 'redis://user:s3cret@' });
    expect(problem).toContain('REDIS_URL');
    expect(problem).not.toContain('s3cret');
  });
});

describe('loadDotEnv', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nono-dotenv-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads .env from the directory, and variables already set win', () => {
    writeFileSync(join(dir, '.env'), '# comment\nNONO_DOTENV_A=from-file\nNONO_DOTENV_B="quoted value"\nNONO_DOTENV_C=file\n');
    const env: NodeJS.ProcessEnv = { NONO_DOTENV_C: 'from-environment', NONO_DOTENV_B: '' };
    expect(loadDotEnv(dir, env)).toBe(join(dir, '.env'));
    expect(env).toEqual({ NONO_DOTENV_A: 'from-file', NONO_DOTENV_B: '', NONO_DOTENV_C: 'from-environment' });
  });

  it('does nothing without a .env file', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(loadDotEnv(dir, env)).toBeUndefined();
    expect(env).toEqual({});
  });
});
