import { ConfigType, registerAs } from '@nestjs/config';
import { parseEnv } from './env';

/** Namespaced, typed slices of the validated environment; inject with `@Inject(xConfig.KEY)`. */
export const appConfig = registerAs('app', () => {
  const env = parseEnv(process.env);
  return {
    port: env.port,
    host: env.host,
    logLevel: env.logLevel,
    logFormat: env.logFormat,
    bodyLimitBytes: env.bodyLimitBytes,
    personasFile: env.personasFile,
    clientDir: env.clientDir,
  };
});

export const redisConfig = registerAs('redis', () => {
  const env = parseEnv(process.env);
  return { url: env.redisUrl, keyPrefix: env.redisKeyPrefix };
});

export const sessionsConfig = registerAs('sessions', () => {
  const env = parseEnv(process.env);
  return {
    ttlSeconds: env.sessionTtlSeconds,
    /** Reads renew a session's TTL at most this often (writes always do): 1% of the TTL, at most a minute. */
    readRenewIntervalMs: Math.min(60_000, env.sessionTtlSeconds * 10) as number | undefined,
  };
});

export const llmConfig = registerAs('llm', () => {
  const env = parseEnv(process.env);
  return {
    apiKey: env.openaiApiKey,
    baseUrl: env.openaiBaseUrl,
    model: env.openaiModel,
    contextTokenBudget: env.contextTokenBudget,
    connectTimeoutMs: env.llmConnectTimeoutMs,
    firstTokenTimeoutMs: env.llmFirstTokenTimeoutMs,
    idleTimeoutMs: env.llmIdleTimeoutMs,
    totalTimeoutMs: env.llmTotalTimeoutMs,
  };
});

export const authConfig = registerAs('auth', () => {
  const env = parseEnv(process.env);
  return {
    mode: env.authMode,
    /** Guest identities are always allowed in guest mode; elsewhere only with ALLOW_GUESTS=true. */
    allowGuests: env.authMode === 'guest' || env.allowGuests,
    registration: env.registration,
    tokenTtlSeconds: env.tokenTtlSeconds,
    guestTtlSeconds: env.guestTtlSeconds,
    proxyUserHeader: env.proxyUserHeader,
    trustedProxies: env.trustedProxies,
    /** Set when OpenID Connect sign-in is configured. */
    oidc: env.oidcIssuerUrl
      ? { issuer: env.oidcIssuerUrl, clientId: env.oidcClientId!, clientSecret: env.oidcClientSecret!, redirectUrl: env.oidcRedirectUrl }
      : undefined,
  };
});

export type AppConfig = ConfigType<typeof appConfig>;
export type RedisConfig = ConfigType<typeof redisConfig>;
export type SessionsConfig = ConfigType<typeof sessionsConfig>;
export type LlmConfig = ConfigType<typeof llmConfig>;
export type AuthConfig = ConfigType<typeof authConfig>;

export const allConfig = [appConfig, redisConfig, sessionsConfig, llmConfig, authConfig];
