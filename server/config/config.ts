import { DynamicModule } from '@nestjs/common';
import { ConfigModule, getConfigToken, registerAs } from '@nestjs/config';
import { Env } from './env';

/**
 * A namespaced, typed slice of one app's validated environment; inject with `@Inject(xConfig.KEY)`.
 * The slice is derived from the `Env` the app was created with (never from process.env), so apps
 * built in one process with different settings each keep their own.
 */
export type Namespace<T> = ((env: Env) => T) & { readonly KEY: string; readonly NAME: string };

function namespace<T>(name: string, derive: (env: Env) => T): Namespace<T> {
  return Object.assign(derive, { KEY: getConfigToken(name), NAME: name });
}

/** The whole validated environment of this app: `@Inject(ENV) env: Env`. */
export const ENV = getConfigToken('env');

export const appConfig = namespace('app', (env) => ({
  port: env.port,
  host: env.host,
  logLevel: env.logLevel,
  logFormat: env.logFormat,
  bodyLimitBytes: env.bodyLimitBytes,
  importMaxBytes: env.importMaxBytes,
  personasFile: env.personasFile,
  clientDir: env.clientDir,
}));

export const redisConfig = namespace('redis', (env) => ({
  url: env.redisUrl,
  keyPrefix: env.redisKeyPrefix,
  clusterNodes: env.redisClusterNodes,
  sentinels: env.redisSentinels,
  sentinelName: env.redisSentinelName,
  username: env.redisUsername,
  password: env.redisPassword,
  tls: env.redisTls,
  dataDir: env.dataDir,
}));

/** How the app reaches Redis: not at all (embedded store), one server, a Cluster, or via Sentinels. */
export type RedisTopology = 'embedded' | 'single' | 'cluster' | 'sentinel';

export function redisTopology(config: RedisConfig): RedisTopology {
  if (config.clusterNodes) return 'cluster';
  if (config.sentinels) return 'sentinel';
  return config.url ? 'single' : 'embedded';
}

/** Session timing for a TTL; the only place the read-renew interval is computed. */
export function sessionsSettings(ttlSeconds: number) {
  return {
    ttlSeconds,
    /** Reads renew a session's TTL at most this often (writes always do): 1% of the TTL, at most a minute. */
    readRenewIntervalMs: Math.min(60_000, ttlSeconds * 10),
  };
}

export const sessionsConfig = namespace('sessions', (env) => sessionsSettings(env.sessionTtlSeconds));

export const llmConfig = namespace('llm', (env) => ({
  apiKey: env.openaiApiKey,
  baseUrl: env.openaiBaseUrl,
  model: env.openaiModel,
  /** Names sessions after their first answer; undefined: each session's own model; null (`off`): no model, the first words. */
  titleModel: env.titleModel?.toLowerCase() === 'off' ? null : env.titleModel,
  contextTokenBudget: env.contextTokenBudget,
  connectTimeoutMs: env.llmConnectTimeoutMs,
  firstTokenTimeoutMs: env.llmFirstTokenTimeoutMs,
  idleTimeoutMs: env.llmIdleTimeoutMs,
  totalTimeoutMs: env.llmTotalTimeoutMs,
}));

/** Rate limits (requests per window) and quotas; 0 turns one off. */
export const limitsConfig = namespace('limits', (env) => ({
  windowSeconds: env.rateLimitWindowSeconds,
  guestPerWindow: env.rateLimitGuestPerMinute,
  loginPerWindow: env.rateLimitLoginPerMinute,
  messagesPerWindow: env.rateLimitMessagesPerMinute,
  sessionsPerWindow: env.rateLimitSessionsPerMinute,
  searchPerWindow: env.rateLimitSearchPerMinute,
  maxSessionsPerIdentity: env.maxSessionsPerIdentity,
  maxMessagesPerSession: env.maxMessagesPerSession,
  dailyTokenQuota: env.dailyTokenQuota,
}));

export const authConfig = namespace('auth', (env) => ({
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
}));

export type AppConfig = ReturnType<typeof appConfig>;
export type RedisConfig = ReturnType<typeof redisConfig>;
export type SessionsConfig = ReturnType<typeof sessionsConfig>;
export type LlmConfig = ReturnType<typeof llmConfig>;
export type LimitsConfig = ReturnType<typeof limitsConfig>;
export type AuthConfig = ReturnType<typeof authConfig>;

export const allConfig: Namespace<object>[] = [appConfig, redisConfig, sessionsConfig, llmConfig, limitsConfig, authConfig];

/**
 * The global configuration of one app: `ENV` and every namespace under its KEY, derived once from
 * `env`. ConfigService (`get('app.port')`) serves the same values and never falls back to
 * process.env, which tests change between apps.
 */
export function configModule(env: Env): Promise<DynamicModule> {
  return ConfigModule.forRoot({
    isGlobal: true,
    ignoreEnvFile: true,
    validatePredefined: false,
    skipProcessEnv: true,
    load: [registerAs('env', () => ({ ...env })), ...allConfig.map((ns) => registerAs(ns.NAME, () => ns(env)))],
  });
}
