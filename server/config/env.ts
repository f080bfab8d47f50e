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
  shutdownGraceSeconds: number;
  redisUrl: string | undefined;
  redisKeyPrefix: string;
  sessionTtlSeconds: number;
  personasFile: string;
  openaiApiKey: string | undefined;
  openaiBaseUrl: string | undefined;
  openaiModel: string | undefined;
  contextTokenBudget: number;
  llmConnectTimeoutMs: number;
  llmFirstTokenTimeoutMs: number;
  llmIdleTimeoutMs: number;
  llmTotalTimeoutMs: number;
  clientDir: string | undefined;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

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

  pattern(name: string, fallback: string, re: RegExp, why: string): string {
    const value = this.text(name) ?? fallback;
    if (!re.test(value)) this.problems.push(`${name}=${JSON.stringify(value)} ${why}`);
    return value;
  }
}

export function parseEnv(raw: Raw): Env {
  const r = new Reader(raw);
  const env: Env = {
    port: r.int('PORT', 8000, 0, 65535),
    host: r.host('HOST', '0.0.0.0'),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    logFormat: r.oneOf('LOG_FORMAT', LOG_FORMATS, 'auto'),
    bodyLimitBytes: r.int('BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    shutdownGraceSeconds: r.int('SHUTDOWN_GRACE_SECONDS', 8, 0, 3600),
    redisUrl: r.url('REDIS_URL', ['redis:', 'rediss:']),
    redisKeyPrefix: r.pattern(
      'REDIS_KEY_PREFIX',
      'nono',
      /^[A-Za-z0-9_.-]{1,64}$/,
      'may only hold letters, digits, "_", "." and "-" (1-64 characters)',
    ),
    sessionTtlSeconds: r.int('SESSION_TTL_SECONDS', 3600, 0, 10 * 365 * 24 * 3600),
    personasFile: r.text('PERSONAS_FILE') ?? 'config/personas.yaml',
    openaiApiKey: r.text('OPENAI_API_KEY'),
    openaiBaseUrl: r.url('OPENAI_BASE_URL', ['http:', 'https:']),
    openaiModel: r.text('OPENAI_MODEL'),
    contextTokenBudget: r.int('CONTEXT_TOKEN_BUDGET', 8000, 256, 2_000_000),
    llmConnectTimeoutMs: r.int('LLM_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000),
    llmFirstTokenTimeoutMs: r.int('LLM_FIRST_TOKEN_TIMEOUT_MS', 60_000, 100, 600_000),
    llmIdleTimeoutMs: r.int('LLM_IDLE_TIMEOUT_MS', 30_000, 100, 600_000),
    llmTotalTimeoutMs: r.int('LLM_TOTAL_TIMEOUT_MS', 300_000, 1000, 3_600_000),
    clientDir: r.text('CLIENT_DIR'),
  };
  if (r.problems.length > 0) throw new EnvError(r.problems);
  return env;
}
