import { isIP } from 'node:net';

/**
 * The environment, parsed and validated once at start. A bad value stops the start with the
 * variable's name and the reason, so a misconfigured deployment never half-works.
 * Every variable read here is documented in README.md and config/.env.example (a test checks it).
 */
export interface Env {
  port: number;
  host: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
  bodyLimitBytes: number;
  /** IMPORT_MAX_BYTES: largest file POST /api/import reads (streamed, never held in memory). */
  importMaxBytes: number;
  shutdownGraceSeconds: number;
  redisUrl: string | undefined;
  /** REDIS_CLUSTER_NODES: seed nodes of a Redis Cluster (any few masters or replicas). */
  redisClusterNodes: RedisNode[] | undefined;
  /** REDIS_SENTINELS + REDIS_SENTINEL_NAME: Sentinels and the name of the master they watch. */
  redisSentinels: RedisNode[] | undefined;
  redisSentinelName: string | undefined;
  /** Credentials and TLS of cluster or sentinel-managed nodes (a single Redis has them in REDIS_URL). */
  redisUsername: string | undefined;
  redisPassword: string | undefined;
  redisTls: boolean;
  redisKeyPrefix: string;
  /** Where the embedded store (no REDIS_URL) keeps its data; undefined: in memory only. */
  dataDir: string | undefined;
  sessionTtlSeconds: number;
  personasFile: string;
  openaiApiKey: string | undefined;
  openaiBaseUrl: string | undefined;
  openaiModel: string | undefined;
  /** Model that names sessions after their first answer; undefined: the session's own model. */
  titleModel: string | undefined;
  contextTokenBudget: number;
  llmConnectTimeoutMs: number;
  llmFirstTokenTimeoutMs: number;
  llmIdleTimeoutMs: number;
  llmTotalTimeoutMs: number;
  clientDir: string | undefined;
  /** Express `trust proxy`: false (default), a hop count, or addresses/subnets of the proxies. */
  trustProxy: TrustProxy;
  rateLimitWindowSeconds: number;
  rateLimitGuestPerMinute: number;
  rateLimitLoginPerMinute: number;
  rateLimitMessagesPerMinute: number;
  rateLimitSessionsPerMinute: number;
  rateLimitSearchPerMinute: number;
  maxSessionsPerIdentity: number;
  maxMessagesPerSession: number;
  dailyTokenQuota: number;
  authMode: AuthMode;
  allowGuests: boolean;
  registration: Registration;
  tokenTtlSeconds: number;
  guestTtlSeconds: number;
  proxyUserHeader: string;
  trustedProxies: string[];
  oidcIssuerUrl: string | undefined;
  oidcClientId: string | undefined;
  oidcClientSecret: string | undefined;
  oidcRedirectUrl: string | undefined;
}

export type TrustProxy = false | number | string[];

export interface RedisNode {
  host: string;
  port: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const AUTH_MODES = ['guest', 'accounts', 'proxy'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
export const REGISTRATIONS = ['open', 'closed'] as const;
export type Registration = (typeof REGISTRATIONS)[number];

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EnvError';
  }
}

type Raw = Record<string, string | undefined>;

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A URL as it may appear in an error message: credentials in it are never echoed. */
function shown(value: string): string {
  return JSON.stringify(value.replace(/\/\/[^/@\s]*@/, '//***@'));
}

/** Collects every problem before failing, so one start reports all of them at once. */
class Reader {
  readonly problems: string[] = [];

  constructor(private readonly raw: Raw) {}

  text(name: string): string | undefined {
    return blankToUndefined(this.raw[name]);
  }

  int(name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.text(name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) {
      this.problems.push(`${name}=${JSON.stringify(value)} is not a whole number`);
      return fallback;
    }
    const n = Number(value);
    if (n < min || n > max) {
      this.problems.push(`${name}=${value} is out of range: it must be between ${min} and ${max}`);
      return fallback;
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.text(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}=${JSON.stringify(this.raw[name])} is not one of ${allowed.join(', ')}`);
    return fallback;
  }

  url(name: string, protocols: string[]): string | undefined {
    const value = this.text(name);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      this.problems.push(`${name}=${shown(value)} is not a valid URL (expected e.g. ${protocols[0]}//host:port)`);
      return undefined;
    }
    if (!protocols.includes(parsed.protocol)) {
      this.problems.push(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')} (got ${parsed.protocol}//)`);
      return undefined;
    }
    if (!parsed.hostname) {
      this.problems.push(`${name}=${shown(value)} has no host name`);
      return undefined;
    }
    return value;
  }

  /** An interface to listen on: an IP address (IPv6 with or without brackets) or a host name. */
  host(name: string, fallback: string): string {
    const value = this.text(name);
    if (value === undefined) return fallback;
    const unbracketed = /^\[.*\]$/.test(value) ? value.slice(1, -1) : value;
    if (isIP(unbracketed) !== 0 || HOST_NAME.test(unbracketed)) return unbracketed;
    this.problems.push(
      `${name}=${JSON.stringify(value)} is not an IP address or host name (e.g. 0.0.0.0 for every interface, 127.0.0.1 for this machine only)`,
    );
    return fallback;
  }

  /**
   * TRUST_PROXY: unset/false = the socket's address is the client's (X-Forwarded-For ignored); a
   * number = that many proxies in front; else a comma-separated list of proxy addresses, subnets
   * (CIDR) or express' names loopback, linklocal, uniquelocal.
   */
  trustProxy(name: string): TrustProxy {
    const value = this.text(name);
    if (value === undefined || value.toLowerCase() === 'false') return false;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
    const bad = entries.filter((e) => !isProxyAddress(e));
    if (bad.length > 0 || entries.length === 0) {
      this.problems.push(
        `${name}=${JSON.stringify(value)} is not a proxy hop count or a list of addresses/subnets ` +
          `(e.g. 1, or 10.0.0.0/8,loopback); unset it when no reverse proxy is in front`,
      );
      return false;
    }
    return entries;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.text(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(value)) return true;
    if (['false', '0', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name}=${JSON.stringify(this.raw[name])} is not true or false`);
    return fallback;
  }

  /** A comma-separated list of IP addresses and CIDR ranges (10.0.0.0/8, fd00::/8). */
  ipList(name: string): string[] {
    const value = this.text(name);
    if (value === undefined) return [];
    const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
    const bad = items.filter((item) => !isIpOrCidr(item));
    if (bad.length > 0) {
      this.problems.push(`${name} has ${bad.map((b) => JSON.stringify(b)).join(', ')}: expected IP addresses or CIDR ranges separated by commas, e.g. 127.0.0.1,10.0.0.0/8`);
    }
    return items.filter((item) => !bad.includes(item));
  }

  /** Unset: the fallback; set but empty: undefined (the feature off). */
  textOrOff(name: string, fallback: string): string | undefined {
    return this.raw[name] === undefined ? fallback : this.text(name);
  }

  flag(name: string): boolean {
    const value = this.text(name)?.toLowerCase();
    if (value === undefined || value === 'false') return false;
    if (value === 'true') return true;
    this.problems.push(`${name}=${JSON.stringify(this.raw[name])} must be true or false`);
    return false;
  }

  /** A comma-separated list of host:port (IPv6 in brackets: [::1]:7000). */
  nodes(name: string): RedisNode[] | undefined {
    const value = this.text(name);
    if (value === undefined) return undefined;
    const entries = value.split(',').map((e) => e.trim());
    const nodes = entries.map(parseNode);
    const bad = entries.filter((_, i) => nodes[i] === undefined);
    if (bad.length > 0) {
      this.problems.push(
        `${name} has malformed entries ${bad.map((e) => JSON.stringify(e)).join(', ')}: expected host:port pairs ` +
          `separated by commas, e.g. 10.0.0.1:7000,10.0.0.2:7000 (IPv6 as [::1]:7000)`,
      );
      return undefined;
    }
    return nodes as RedisNode[];
  }

  pattern(name: string, fallback: string, re: RegExp, why: string): string {
    const value = this.text(name) ?? fallback;
    if (!re.test(value)) this.problems.push(`${name}=${JSON.stringify(value)} ${why}`);
    return value;
  }
}

function parseNode(entry: string): RedisNode | undefined {
  const match = /^(\[[^\]]+\]|[^:\[\]]+):(\d{1,5})$/.exec(entry);
  if (!match) return undefined;
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1];
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  if (match[1].startsWith('[') ? isIP(host) !== 6 : isIP(host) === 0 && !HOST_NAME.test(host)) return undefined;
  return { host, port };
}

/** One way to reach Redis at most, and the settings that belong to it. */
function checkRedisChoice(env: Env, problems: string[]): void {
  const chosen = [
    env.redisUrl && 'REDIS_URL',
    env.redisClusterNodes && 'REDIS_CLUSTER_NODES',
    env.redisSentinels && 'REDIS_SENTINELS',
  ].filter(Boolean);
  if (chosen.length > 1) {
    problems.push(`${chosen.join(' and ')} are both set: choose one way to reach Redis (a single server, a Cluster or Sentinels)`);
  }
  if (env.redisSentinels && !env.redisSentinelName) {
    problems.push('REDIS_SENTINELS is set without REDIS_SENTINEL_NAME: give the master name the Sentinels monitor (e.g. mymaster)');
  }
  if (env.redisSentinelName && !env.redisSentinels) {
    problems.push('REDIS_SENTINEL_NAME is set without REDIS_SENTINELS: list the Sentinels as host:port,host:port');
  }
  const nodeSettings = [
    env.redisUsername !== undefined && 'REDIS_USERNAME',
    env.redisPassword !== undefined && 'REDIS_PASSWORD',
    env.redisTls && 'REDIS_TLS',
  ].filter(Boolean);
  if (nodeSettings.length > 0 && !env.redisClusterNodes && !env.redisSentinels) {
    problems.push(
      `${nodeSettings.join(', ')} ${nodeSettings.length > 1 ? 'apply' : 'applies'} only with REDIS_CLUSTER_NODES or REDIS_SENTINELS; ` +
        'a single Redis takes them in REDIS_URL (rediss://user:password@host:port)',
    );
  }
}

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isProxyAddress(entry: string): boolean {
  return PROXY_NAMES.includes(entry) || isIpOrCidr(entry);
}

function isIpOrCidr(item: string): boolean {
  const [address, bits, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** HTTP header name characters (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/;
const TEN_YEARS = 10 * 365 * 24 * 3600;

export function parseEnv(raw: Raw): Env {
  const r = new Reader(raw);
  const env: Env = {
    port: r.int('PORT', 8000, 0, 65535),
    host: r.host('HOST', '0.0.0.0'),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: r.oneOf('LOG_FORMAT', LOG_FORMATS, 'auto'),
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 512 * 1024, 1024, 10 * 1024 * 1024),
    importMaxBytes: r.int('IMPORT_MAX_BYTES', 1024 * 1024 * 1024, 1024, 64 * 1024 * 1024 * 1024),
    shutdownGraceSeconds: r.int('SHUTDOWN_GRACE_SECONDS', 8, 0, 3600),
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    redisClusterNodes: r.nodes('REDIS_CLUSTER_NODES'),
    redisSentinels: r.nodes('REDIS_SENTINELS'),
    redisSentinelName: r.text('REDIS_SENTINEL_NAME'),
    redisUsername: r.text('REDIS_USERNAME'),
    redisPassword: r.text('REDIS_PASSWORD'),
    redisTls: r.flag('REDIS_TLS'),
    redisKeyPrefix: r.pattern(
      'REDIS_KEY_PREFIX',
      'nono',
      /^[A-Za-z0-9_.-]{1,64}$/,
      'may only hold letters, digits, "_", "." and "-" (1-64 characters)',
    ),
    dataDir: r.textOrOff('DATA_DIR', './data'),
    sessionTtlSeconds: r.int('SESSION_TTL_SECONDS', 3600, 0, 10 * 365 * 24 * 3600),
    personasFile: r.text('PERSONAS_FILE') ?? 'config/personas.yaml',
    openaiApiKey: r.text('OPENAI_API_KEY'),
    openaiBaseUrl: r.url('OPENAI_BASE_URL', ['http:', 'https:']),
    openaiModel: r.text('OPENAI_MODEL'),
    titleModel: r.text('TITLE_MODEL'),
    contextTokenBudget: r.int('CONTEXT_TOKEN_BUDGET', 8000, 256, 2_000_000),
    llmConnectTimeoutMs: r.int('LLM_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    llmFirstTokenTimeoutMs: r.int('LLM_FIRST_TOKEN_TIMEOUT_MS', 60_000, 100, 600_000),
    llmIdleTimeoutMs: r.int('LLM_IDLE_TIMEOUT_MS', 30_000, 100, 600_000),
    llmTotalTimeoutMs: r.int('LLM_TOTAL_TIMEOUT_MS', 300_000, 1000, 3_600_000),
    clientDir: r.text('CLIENT_DIR'),
    trustProxy: r.trustProxy('TRUST_PROXY'),
    rateLimitWindowSeconds: r.int('RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    rateLimitGuestPerMinute: r.int('RATE_LIMIT_GUEST_PER_MINUTE', 10, 0, 1_000_000),
    rateLimitLoginPerMinute: r.int('RATE_LIMIT_LOGIN_PER_MINUTE', 10, 0, 1_000_000),
    rateLimitMessagesPerMinute: r.int('RATE_LIMIT_MESSAGES_PER_MINUTE', 20, 0, 1_000_000),
    rateLimitSessionsPerMinute: r.int('RATE_LIMIT_SESSIONS_PER_MINUTE', 30, 0, 1_000_000),
    rateLimitSearchPerMinute: r.int('RATE_LIMIT_SEARCH_PER_MINUTE', 120, 0, 1_000_000),
    maxSessionsPerIdentity: r.int('MAX_SESSIONS_PER_IDENTITY', 10_000, 0, 100_000_000),
    maxMessagesPerSession: r.int('MAX_MESSAGES_PER_SESSION', 10_000, 0, 100_000_000),
    dailyTokenQuota: r.int('DAILY_TOKEN_QUOTA', 0, 0, Number.MAX_SAFE_INTEGER),
    authMode: r.oneOf('AUTH_MODE', AUTH_MODES, 'guest'),
    allowGuests: r.bool('ALLOW_GUESTS', false),
    registration: r.oneOf('REGISTRATION', REGISTRATIONS, 'open'),
    tokenTtlSeconds: r.int('TOKEN_TTL_SECONDS', 30 * 24 * 3600, 0, TEN_YEARS),
    guestTtlSeconds: r.int('GUEST_TTL_SECONDS', 30 * 24 * 3600, 0, TEN_YEARS),
    proxyUserHeader: r.pattern('PROXY_USER_HEADER', 'X-Forwarded-User', HEADER_NAME, 'is not an HTTP header name').toLowerCase(),
    trustedProxies: r.ipList('TRUSTED_PROXY'),
    oidcIssuerUrl: r.url('OIDC_ISSUER_URL', ['https:', 'http:']),
    oidcClientId: r.text('OIDC_CLIENT_ID'),
    oidcClientSecret: r.text('OIDC_CLIENT_SECRET'),
    oidcRedirectUrl: r.url('OIDC_REDIRECT_URL', ['https:', 'http:']),
  };
  const oidc = { OIDC_ISSUER_URL: r.text('OIDC_ISSUER_URL'), OIDC_CLIENT_ID: env.oidcClientId, OIDC_CLIENT_SECRET: env.oidcClientSecret };
  const oidcMissing = Object.keys(oidc).filter((name) => oidc[name as keyof typeof oidc] === undefined);
  if (oidcMissing.length > 0 && oidcMissing.length < 3) {
    r.problems.push(`OpenID Connect needs OIDC_ISSUER_URL, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together: ${oidcMissing.join(', ')} missing`);
  }
  if (env.authMode === 'proxy' && env.trustedProxies.length === 0 && r.text('TRUSTED_PROXY') === undefined) {
    r.problems.push(
      'AUTH_MODE=proxy needs TRUSTED_PROXY: the address of the reverse proxy that sets ' +
        `${r.text('PROXY_USER_HEADER') ?? 'X-Forwarded-User'} (e.g. 127.0.0.1 or 10.0.0.0/8)`,
    );
  }
  checkRedisChoice(env, r.problems);
  if (r.problems.length > 0) throw new EnvError(r.problems);
  return env;
}
